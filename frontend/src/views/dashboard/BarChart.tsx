// One bar chart drawn by Chart.js. Only the bar controller and what it needs are registered, so the bundle
// carries nothing else of the library; the dashboard module that imports this is itself loaded lazily.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip, type ChartOptions } from "chart.js";
import { useEffect, useRef } from "preact/hooks";
import { lang, t } from "../../i18n";
import { compactYuan, type Series } from "../../lib/dashboard";
import { yuan } from "../../lib/format";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export type Metric = "amount" | "count";

interface Props {
  series: Series;
  metric: Metric;
  colours: string[] | string;
  horizontal?: boolean;
  testId: string;
  label: string; // what the chart shows, for screen readers
  onPick?: (index: number) => void;
}

export function BarChart({ series, metric, colours, horizontal = false, testId, label, onPick }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const language = lang.value;
  const values = metric === "amount" ? series.amounts : series.counts;
  const key = JSON.stringify([series.labels, values, colours, horizontal, language]);
  useEffect(() => {
    if (!canvas.current) return;
    const valueAxis = {
      beginAtZero: true,
      ticks: {
        precision: 0,
        maxTicksLimit: 6,
        callback: (v: string | number) => (metric === "amount" ? compactYuan(Number(v), language) : String(v)),
      },
    };
    const labelAxis = { ticks: { autoSkip: !horizontal, callback: shorten(series.labels) } };
    const options: ChartOptions<"bar"> = {
      indexAxis: horizontal ? "y" : "x",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => series.labels[items[0]?.dataIndex ?? 0] ?? "",
            label: (item) => t("dash.tooltip", { n: series.counts[item.dataIndex], total: yuan(String(series.amounts[item.dataIndex])) }),
          },
        },
      },
      onClick: onPick ? (_e, elements) => elements[0] && onPick(elements[0].index) : undefined,
      onHover: onPick ? (e, elements) => {
        const target = e.native?.target as HTMLElement | undefined;
        if (target) target.style.cursor = elements.length ? "pointer" : "default";
      } : undefined,
    };
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ data: values, backgroundColor: colours, borderRadius: 3, maxBarThickness: 36 }] },
      options,
    });
    return () => chart.destroy();
  }, [key]);
  // A horizontal chart grows with its bars; a vertical one has a fixed height.
  const height = horizontal ? Math.max(120, series.labels.length * 30 + 40) : 220;
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={canvas} data-testid={testId} role="img" aria-label={label} />
    </div>
  );
}

/** Long names cut on the axis to what fits in about 40 % of the chart (the tooltip has them whole). */
function shorten(labels: string[]) {
  return function (this: { chart: { width: number } }, value: string | number): string {
    const text = labels[Number(value)] ?? String(value);
    const room = Math.max(4, Math.floor((this.chart.width * 0.4) / 12)); // ~12 px per CJK character
    return text.length > room ? `${text.slice(0, room - 1)}…` : text;
  };
}
