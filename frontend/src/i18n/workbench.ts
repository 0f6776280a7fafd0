// Words of the invoice page's workbench (the page viewer, its keys, "next needing review") and of a reading
// that found nothing: kept beside ui.ts so the two catalogs stay key for key alike (tests/i18n.test.ts).
export const workbench = {
  zh: {
    "viewer.tools": "页面工具",
    "viewer.zoom_in": "放大",
    "viewer.zoom_out": "缩小",
    "viewer.fit": "适合宽度",
    "viewer.rotate": "旋转 90°",
    "viewer.rotate_short": "旋转",
    "viewer.no_page": "此文件没有可显示的页面。",
    "review.next": "下一张待核对",
    "review.none": "没有其他待核对的发票。",
    "keys.hint": "快捷键：j / k 或 Alt+↓ / Alt+↑ 切换字段 · n 下一张待核对 · + / − 缩放 · 0 适合宽度 · r 旋转 · Esc 取消选择",
    "detail.no_fields": "没有读到任何字段，无从校验。",
    "detail.not_invoice": "不是发票",
  },
  en: {
    "viewer.tools": "Page tools",
    "viewer.zoom_in": "Zoom in",
    "viewer.zoom_out": "Zoom out",
    "viewer.fit": "Fit width",
    "viewer.rotate": "Rotate 90°",
    "viewer.rotate_short": "Rotate",
    "viewer.no_page": "This file has no page to show.",
    "review.next": "Next needing review",
    "review.none": "No other invoice needs review.",
    "keys.hint": "Keys: j / k or Alt+↓ / Alt+↑ move between fields · n next needing review · + / − zoom · 0 fit width · r rotate · Esc unselect",
    "detail.no_fields": "No field was read, so nothing could be checked.",
    "detail.not_invoice": "Not an invoice",
  },
} as const;
