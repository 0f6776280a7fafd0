import { afterEach, describe, expect, it } from "vitest";
import enDomain from "../../backend/i18n/en.json";
import zhDomain from "../../backend/i18n/zh.json";
import { catalogs, errorText, setLang } from "../src/i18n";
import {
  backupStatus, canBackUpNow, contentsText, durationText, humanSize, inProgress, problemText, recordTime, relativeTime,
  retentionText, scheduleText, shouldPoll, triggerText, type BackupListing, type BackupRecord, type BackupStatus,
} from "../src/lib/backups";
import { canSeeBackups } from "../src/lib/perms";
import { accountsPageOf } from "../src/state/nav";
import type { User } from "../src/state/types";

const NOW = Date.parse("2026-03-01T12:00:00.000Z");
const at = (minutes: number) => new Date(NOW + minutes * 60_000).toISOString();

function rec(extra: Partial<BackupRecord> = {}): BackupRecord {
  return {
    id: 1, state: "done", trigger: "schedule", requested_by: null, requested_by_name: null, created_at: at(-3),
    started_at: at(-3), finished_at: at(-2), duration_seconds: 1.25, size: 2_500_000, path: "/b/x.fapiao-backup",
    file: "x.fapiao-backup", backup_id: "ab", key_id: "k", contents: { invoices: 12, files: 14, file_bytes: 3_250_000 },
    ok: true, error: null, verified: true, verified_at: at(-2), verify_error: null, pruned: false, pruned_at: null,
    ...extra,
  };
}

function listing(extra: Partial<BackupListing> = {}): BackupListing {
  return {
    configured: true, key_kind: "passphrase", dir: "/data/backups", interval_hours: 24, keep: 7, keep_days: 30,
    running: null, queued: null, last: null, next_run: at(60), records: [], ...extra,
  };
}

afterEach(() => setLang("zh"));

describe("backup sizes", () => {
  it("read in bytes, KB, MB and GB, one decimal below 10", () => {
    expect(humanSize(0, "en")).toBe("0 B");
    expect(humanSize(512, "en")).toBe("512 B");
    expect(humanSize(1536, "en")).toBe("1.5 KB");
    expect(humanSize(10 * 1024, "en")).toBe("10 KB");
    expect(humanSize(2_500_000, "en")).toBe("2.4 MB");
    expect(humanSize(3.4 * 1024 ** 3, "zh")).toBe("3.4 GB");
    expect(humanSize(1024 * 1024 * 1500, "en")).toBe("1.5 GB");
  });
  it("never reads 1,024 of a unit: the next unit up", () => {
    expect(humanSize(1024 * 1024 - 1, "en")).toBe("1.0 MB");
    expect(humanSize(1023, "en")).toBe("1,023 B");
  });
  it("show a dash for nothing known", () => {
    expect(humanSize(null)).toBe("—");
    expect(humanSize(undefined)).toBe("—");
    expect(humanSize(-1)).toBe("—");
  });
});

describe("backup times", () => {
  it("say how long ago and how soon, to the minute, hour or day", () => {
    expect(relativeTime(at(-0.2), NOW, "en")).toBe("just now");
    expect(relativeTime(at(-5), NOW, "en")).toBe("5 min ago");
    expect(relativeTime(at(-5), NOW, "zh")).toBe("5 分钟前");
    expect(relativeTime(at(-150), NOW, "en")).toBe("3 h ago");
    expect(relativeTime(at(23 * 60 + 59), NOW, "en")).toBe("in 24 h");
    expect(relativeTime(at(23 * 60 + 59), NOW, "zh")).toBe("24 小时后");
    expect(relativeTime(at(-3 * 1440), NOW, "zh")).toBe("3 天前");
    expect(relativeTime(at(0.3), NOW, "en")).toBe("in a moment");
    expect(relativeTime(null, NOW)).toBe("");
    expect(relativeTime("garbage", NOW)).toBe("");
  });
  it("say how long a backup took", () => {
    expect(durationText(1.25, "en")).toBe("1.3 s");
    expect(durationText(42.4, "zh")).toBe("42 秒");
    expect(durationText(185, "en")).toBe("3 min 5 s");
    expect(durationText(0.003, "en")).toBe("<0.1 s");
    expect(durationText(null)).toBe("");
  });
  it("show the finished time, else started, else asked for", () => {
    expect(recordTime(rec())).toBe(at(-2));
    expect(recordTime(rec({ state: "running", finished_at: null }))).toBe(at(-3));
    expect(recordTime(rec({ state: "queued", finished_at: null, started_at: null, created_at: at(-1) }))).toBe(at(-1));
  });
});

describe("a backup's status", () => {
  const cases: [Partial<BackupRecord>, BackupStatus][] = [
    [{ state: "queued" }, "queued"],
    [{ state: "running" }, "running"],
    [{ state: "failed", ok: false, error: { key: "backup.disk_full", params: { path: "/b" } } }, "failed"],
    [{}, "verified"],
    [{ verified: false, verify_error: "backup.corrupt" }, "verify_failed"],
    [{ pruned: true, pruned_at: at(-1) }, "pruned"],
    // Just finished, the scheduler verifying it from disk: wait for that.
    [{ verified: false, verified_at: null }, "verifying"],
    // Never verified: the command line does not, and a scheduler that stopped will not any more.
    [{ verified: false, verified_at: null, trigger: "cli" }, "unverified"],
    [{ verified: false, verified_at: null, finished_at: at(-11) }, "unverified"],
  ];
  it.each(cases)("%j is %s", (extra, status) => {
    expect(backupStatus(rec(extra), NOW)).toBe(status);
  });
  it("has words for every status in both languages", () => {
    for (const [, status] of cases) {
      expect(catalogs.zh[`backups.status.${status}`]).toBeTruthy();
      expect(catalogs.en[`backups.status.${status}`]).toBeTruthy();
    }
  });
});

describe("the backups page", () => {
  it("keeps asking while one waits, runs or is being verified, and stops when none", () => {
    expect(shouldPoll(null, NOW)).toBe(false);
    expect(shouldPoll(listing(), NOW)).toBe(false);
    expect(shouldPoll(listing({ queued: rec({ state: "queued" }) }), NOW)).toBe(true);
    expect(shouldPoll(listing({ running: rec({ state: "running" }) }), NOW)).toBe(true);
    expect(shouldPoll(listing({ last: rec({ verified: false, verified_at: null }) }), NOW)).toBe(true);
    expect(shouldPoll(listing({ last: rec() }), NOW)).toBe(false);
    expect(shouldPoll(listing({ last: rec({ state: "failed", ok: false, verified: false, verified_at: null }) }), NOW)).toBe(false);
  });
  it("offers Back up now only with a key and nothing waiting or running", () => {
    expect(canBackUpNow(null)).toBe(false);
    expect(canBackUpNow(listing())).toBe(true);
    expect(canBackUpNow(listing({ configured: false, key_kind: null }))).toBe(false);
    expect(canBackUpNow(listing({ queued: rec({ state: "queued" }) }))).toBe(false);
    expect(canBackUpNow(listing({ running: rec({ state: "running" }) }))).toBe(false);
  });
  it("shows the running one before the one waiting behind it", () => {
    const running = rec({ id: 2, state: "running" });
    const queued = rec({ id: 3, state: "queued" });
    expect(inProgress(listing({ running, queued }))).toBe(running);
    expect(inProgress(listing({ queued }))).toBe(queued);
    expect(inProgress(listing())).toBeNull();
  });
  it("says the schedule, and only on request when the interval is 0", () => {
    expect(scheduleText(0, "en")).toBe("Only when asked for (no schedule)");
    expect(scheduleText(0, "zh")).toBe("仅在请求时（不定时备份）");
    expect(scheduleText(24, "en")).toBe("Once a day (every 24 h)");
    expect(scheduleText(6, "zh")).toBe("每 6 小时");
    expect(scheduleText(0.5, "en")).toBe("Every 0.5 h");
  });
  it("says what is kept, either rule off by 0", () => {
    expect(retentionText(7, 30, "en")).toBe("The newest 7, none older than 30 days; the newest good one always stays");
    expect(retentionText(7, 0, "zh")).toBe("最新的 7 个；最新的一个完好备份始终保留");
    expect(retentionText(0, 30, "en")).toBe("None older than 30 days; the newest good one always stays");
    expect(retentionText(0, 0, "en")).toBe("All of them");
  });
  it("says who started one", () => {
    expect(triggerText(rec(), "en")).toBe("Schedule");
    expect(triggerText(rec({ trigger: "cli" }), "zh")).toBe("命令行");
    expect(triggerText(rec({ trigger: "manual", requested_by: 3, requested_by_name: "王小红" }), "zh")).toBe("由 王小红 请求");
    expect(triggerText(rec({ trigger: "manual", requested_by: 3, requested_by_name: null }), "en")).toBe("Asked for by #3");
  });
  it("says what is in one", () => {
    expect(contentsText(rec(), "en")).toBe("12 invoices, 14 files (3.1 MB)");
    expect(contentsText(rec({ contents: {} }), "en")).toBe("");
  });
  it("translates why one failed, and why one fails its check", () => {
    const failed = rec({ state: "failed", ok: false, error: { key: "backup.disk_full", params: { path: "/mnt/b" } } });
    setLang("en");
    expect(problemText(failed)).toBe(
      "The disk is full: the backup in /mnt/b could not be written. The partial file was removed; free some space and try again.");
    setLang("zh");
    expect(problemText(failed)).toBe("磁盘已满：无法在 /mnt/b 写入备份。已删除未完成的文件；请释放空间后重试。");
    expect(problemText(rec({ verified: false, verify_error: "backup.corrupt" }))).toContain("从磁盘校验失败");
    expect(problemText(rec())).toBeNull();
  });
  it("translates the server's refusal of Back up now without a key (409 backup.no_key)", () => {
    setLang("en");
    expect(errorText({ key: "backup.no_key" })).toContain("FAPIAO_BACKUP_PASSPHRASE or FAPIAO_BACKUP_KEY_FILE");
    setLang("zh");
    expect(errorText({ key: "backup.no_key" })).toBe("未设置备份密钥：请设置 FAPIAO_BACKUP_PASSPHRASE 或 FAPIAO_BACKUP_KEY_FILE。");
  });
  it("is for site admins only, at #/backups", () => {
    const teamAdmin: User = { id: 2, username: "bob", display_name: "", is_admin: false,
      teams: [{ id: 1, name: "A", role: "admin", can_manage: true, permissions: ["read", "manage", "audit"] }] };
    expect(canSeeBackups({ ...teamAdmin, is_admin: true })).toBe(true);
    expect(canSeeBackups(teamAdmin)).toBe(false);
    expect(canSeeBackups(null)).toBe(false);
    expect(accountsPageOf("#/backups")).toBe("backups");
  });
});

describe("the backups page's words", () => {
  const keys = Object.keys(catalogs.en).filter((k) => k.startsWith("backups.") || k === "nav.backups");
  it("exist in both languages, English without the Chinese enumeration comma", () => {
    expect(keys.length).toBeGreaterThan(40);
    for (const k of keys) {
      expect(catalogs.zh[k], k).toBeTruthy();
      expect(catalogs.en[k], k).not.toContain("、");
    }
  });
  it("name only server errors the server's catalogs have (backend/i18n)", () => {
    for (const key of ["error.backup.no_key", "error.backup.disk_full", "error.backup.corrupt", "error.backup.interrupted"]) {
      expect((zhDomain as Record<string, string>)[key], key).toBeTruthy();
      expect((enDomain as Record<string, string>)[key], key).toBeTruthy();
    }
  });
});
