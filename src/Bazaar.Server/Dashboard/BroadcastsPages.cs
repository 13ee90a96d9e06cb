using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Referrals;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Broadcasts: compose with a preview and the segment's recipient count, a draft with a test copy to the operator's own
/// Telegram chat, then a live progress bar with pause, resume and cancel. Everything goes through the broadcasts'
/// own service and API handlers.
/// </summary>
internal static partial class BroadcastsPages
{
    private sealed record Compose(string Text, string? Photo, Segments.Spec Spec, bool Paid, string? TestTo,
        IReadOnlyList<IReadOnlyList<BroadcastButton>>? Buttons, string? ButtonsProblem);

    /// <summary>
    /// The buttons box: one row per line, each button "Text | URL", several on a row separated by "||". The rows are
    /// then checked by the broadcasts' own rules, as for the API's "buttons".
    /// </summary>
    internal static (IReadOnlyList<IReadOnlyList<BroadcastButton>>? Rows, string? Problem) ParseButtons(string box)
    {
        var rows = new List<IReadOnlyList<BroadcastButton>>();
        foreach (var line in box.Replace("\r\n", "\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var row = new List<BroadcastButton>();
            foreach (var cell in line.Split("||").Select(c => c.Trim()))
            {
                var bar = cell.LastIndexOf('|');
                if (bar <= 0 || bar == cell.Length - 1)
                    return (null, $"\"{cell}\" is not a button: write each one as Text | https://link (several on a line separated by ||).");
                row.Add(new BroadcastButton(cell[..bar].Trim(), cell[(bar + 1)..].Trim()));
            }
            rows.Add(row);
        }
        return (rows.Count == 0 ? null : rows, null);
    }

    private static Compose Read(IFormCollection f)
    {
        var kind = f["segment"].ToString().Trim().ToLowerInvariant();
        var value = f["value"].ToString().Trim();
        var ids = kind == Segments.Ids
            ? value.Split([',', ' ', '\n', ';'], StringSplitOptions.RemoveEmptyEntries).Select(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1).ToList()
            : null;
        var v = value.Length == 0 ? null : value;
        var spec = Segments.Spec.Of(kind.Length == 0 ? Segments.All : kind, language: v, tier: v,
            giveawayId: long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : null, ids: ids);
        var photo = f["photo"].ToString().Trim();
        var test = f["testTo"].ToString().Trim();
        var (buttons, buttonsProblem) = ParseButtons(f["buttons"].ToString());
        return new Compose(f["text"].ToString().Replace("\r\n", "\n"), photo.Length == 0 ? null : photo, spec, f["paid"] == "on", test.Length == 0 ? null : test,
            buttons, buttonsProblem);
    }

    /// <summary>What is wrong with the composed broadcast, in the feature's own words, or null.</summary>
    private static async Task<string?> ProblemAsync(Compose c, BazaarDb db, ReferralTiers tiers, CancellationToken ct)
    {
        if (Segments.Check(c.Spec, tiers) is { } s) return s.Detail;
        if (c.Spec.Kind == Segments.Giveaway && long.TryParse(c.Spec.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var giveaway) &&
            !await db.Giveaways.AnyAsync(x => x.Id == giveaway, ct))
            return $"There is no giveaway {c.Spec.Value}.";
        if (c.ButtonsProblem is not null) return c.ButtonsProblem;
        return BroadcastContent.Check(c.Text, c.Photo, c.Buttons) is { } content ? content.Detail : null;
    }

    private static async Task<long?> TestUserAsync(string? telegramId, BazaarDb db, CancellationToken ct) =>
        telegramId is null ? null : await db.Users.AsNoTracking()
            .Where(u => u.Channel == ChatChannel.Telegram && u.ExternalId == telegramId).Select(u => (long?)u.Id).FirstOrDefaultAsync(ct);

    [GeneratedRegex(@"&lt;(/?)(b|strong|i|em|u|ins|s|strike|del|code|pre|blockquote|tg-spoiler)&gt;", RegexOptions.IgnoreCase)]
    private static partial Regex SimpleTag();

    /// <summary>The text as Telegram shows it: escaped, then the plain formatting tags let through (no attributes, so nothing runs).</summary>
    internal static string Preview(string text, string? photo, IReadOnlyList<IReadOnlyList<BroadcastButton>>? buttons = null) =>
        $"<div class=\"tg-bubble\">{(photo is null ? "" : $"<div class=\"muted small\">🖼 {E(photo)}</div>")}" +
        $"<div class=\"tg-text\">{SimpleTag().Replace(E(text), "<$1$2>").Replace("\n", "<br>")}</div></div>" +
        string.Join("", (buttons ?? []).Select(r => "<div class=\"tg-buttons\">" +
            string.Join("", r.Select(b => $"<span class=\"tg-button\" title=\"{E(b.Url)}\">{E(b.Text)}</span>")) + "</div>"));

    public static async Task<IResult> List(HttpContext http, BazaarDb db, BroadcastService broadcasts, ReferralTiers tiers, CancellationToken ct, int page = 1)
    {
        var list = (await BroadcastsModule.List(db, broadcasts, ct, Math.Max(1, page), 20)).Value!;
        var sb = new StringBuilder();
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
        {
            var segments = string.Join("", Segments.Names.Select(n => $"<option value=\"{n}\">{E(Segments.Label(n).En)}</option>"));
            sb.Append($"""
                <section class="card" id="compose"><h2>New broadcast</h2>
                <form method="post" action="/admin/broadcasts">{Csrf(http)}
                  <div class="compose" hx-post="/admin/broadcasts/preview" hx-trigger="input delay:400ms, change" hx-include="closest form" hx-target="#preview" hx-swap="innerHTML">
                    <div>
                      <label>Message (Telegram HTML: b, i, u, s, a, code, pre, blockquote)<textarea name="text" rows="6" maxlength="{BroadcastContent.MaxText}" required aria-label="Message"></textarea></label>
                      <label>Photo (optional: an https URL or a Telegram file id; the message becomes its caption)<input name="photo" aria-label="Photo"></label>
                      <label>Buttons (optional: one row per line, each <code>Text | https://link</code>, several on a row separated by <code>||</code>)<textarea name="buttons" rows="2" aria-label="Buttons" placeholder="Open the shop | https://t.me/yourbot?start=shop"></textarea></label>
                      <p class="filters">
                        <label>Segment <select name="segment" aria-label="Segment">{segments}</select></label>
                        <label>with <input name="value" placeholder="en · gold · giveaway id · user ids" aria-label="Segment value"></label>
                      </p>
                      <p class="filters">
                        <label>Test copy and progress to my Telegram id <input name="testTo" inputmode="numeric" aria-label="Your Telegram id"></label>
                        <label><input type="checkbox" name="paid"> paid broadcast (Telegram charges Stars, faster)</label>
                      </p>
                      <button class="btn btn-primary" type="submit">Create draft and send me a test</button>
                    </div>
                    <div><h3>Preview</h3><div id="preview"><p class="muted">Type a message to see it here, with the number of recipients.</p></div></div>
                  </div>
                </form>
                <p class="muted small">Segments: everyone; a language (en, ru); customers who bought something, or never did; a referral tier ({E(string.Join(", ", tiers.All.Select(t => t.Code)))}); a giveaway's participants; or a list of Bazaar user ids.</p>
                </section>
                """);
        }
        sb.Append("<section class=\"card\"><h2>Broadcasts</h2><div class=\"scroll\"><table><thead><tr><th>#</th><th>Message</th><th>Segment</th><th>Status</th><th>Progress</th><th>Created</th></tr></thead><tbody>");
        foreach (var b in list.Items)
        {
            var text = b.Text.Length > 60 ? b.Text[..60] + "…" : b.Text;
            sb.Append($"<tr><td><a href=\"/admin/broadcasts/{b.Id}\">{b.Id}</a></td><td><a href=\"/admin/broadcasts/{b.Id}\">{E(text)}</a></td>" +
                      $"<td>{E(b.Segment)}{(b.SegmentValue is null ? "" : $" <code>{E(b.SegmentValue.Length > 30 ? b.SegmentValue[..30] + "…" : b.SegmentValue)}</code>")}</td>" +
                      $"<td>{Badge(b.Status.ToString())}</td><td>{Bar(b)}</td><td>{Time(b.CreatedAt)} <span class=\"muted small\">{E(b.CreatedBy)}</span></td></tr>");
        }
        if (list.Items.Count == 0) sb.Append("<tr><td colspan=\"6\" class=\"muted\">No broadcasts yet.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, list.Page, list.PageSize, list.Total)}</section>");
        return Page(http, "Broadcasts", "broadcasts", sb.ToString());
    }

    /// <summary>The live preview: the message as it will look, and the segment's recipient count (the API's dry run).</summary>
    public static async Task<IResult> PreviewForm(HttpContext http, BazaarDb db, BroadcastService broadcasts, ReferralTiers tiers, CancellationToken ct)
    {
        var c = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        var html = c.Text.Trim().Length == 0 ? "<p class=\"muted\">Type a message to see it here.</p>" : Preview(c.Text, c.Photo, c.Buttons);
        var problem = await ProblemAsync(c, db, tiers, ct);
        var count = problem is null ? await broadcasts.CountAsync(c.Spec, ct) : 0;
        html += problem is not null
            ? $"<p class=\"flash flash-error\" id=\"preview-problem\">{E(problem)}</p>"
            : $"<p id=\"recipients\"><b data-count=\"{count}\">{count}</b> recipient(s) in {E(c.Spec.Kind)}{(c.Spec.Value is null ? "" : $" <code>{E(c.Spec.Value)}</code>")} now.</p>";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    public static async Task<IResult> Create(HttpContext http, BazaarDb db, BroadcastService broadcasts, ReferralTiers tiers, AuditLog audit, CancellationToken ct)
    {
        var c = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        if (await ProblemAsync(c, db, tiers, ct) is { } problem) return RedirectWith(http, "/admin/broadcasts#compose", problem + " Nothing was created.", error: true);
        var admin = await TestUserAsync(c.TestTo, db, ct);
        if (c.TestTo is not null && admin is null)
            return RedirectWith(http, "/admin/broadcasts#compose", $"Telegram user {c.TestTo} has not talked to the bot yet, so it cannot send them the test copy. Send /start to the bot first.", error: true);
        var b = broadcasts.Draft(c.Text, c.Photo, c.Buttons, c.Spec, c.Paid, $"dashboard:{DashboardAuth.Actor(http.User)}", admin);
        await db.SaveChangesAsync(ct);
        await broadcasts.SendTestAsync(b, ct);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync("broadcast.create", $"broadcast:{b.Id}", null, new { segment = b.Segment, value = b.SegmentValue, paid = b.AllowPaidBroadcast, buttons = b.Buttons }, ct);
        return RedirectWith(http, $"/admin/broadcasts/{b.Id}", admin is null ? "Draft saved. Check the preview, then send it." : "Draft saved and a test copy sent to your Telegram. Check it, then send.");
    }

    public static async Task<IResult> Show(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, CancellationToken ct)
    {
        if ((await BroadcastsModule.Get(id, db, broadcasts, ct)).Result is not Ok<BroadcastsModule.BroadcastView> ok)
            return Page(http, "No such broadcast", "broadcasts", $"<p>There is no broadcast {id}. <a href=\"/admin/broadcasts\">All broadcasts</a></p>", 404);
        var b = ok.Value!;
        var sb = new StringBuilder($"<p><a href=\"/admin/broadcasts\">← All broadcasts</a></p><section class=\"card\"><h2>Message</h2>{Preview(b.Text, b.Photo, b.Buttons)}" +
                                   $"<p class=\"muted\">Segment {E(b.Segment)}{(b.SegmentValue is null ? "" : $" <code>{E(b.SegmentValue)}</code>")} · created {Time(b.CreatedAt)} by {E(b.CreatedBy)}" +
                                   $"{(b.AllowPaidBroadcast ? " · paid broadcast" : "")}</p></section>");
        if (b.Status == BroadcastStatus.Draft)
        {
            var draft = await db.Broadcasts.AsNoTracking().SingleAsync(x => x.Id == id, ct);
            var count = await broadcasts.CountAsync(new Segments.Spec(draft.Segment, draft.SegmentValue), ct);
            sb.Append($"<section class=\"card\" id=\"draft\"><h2>Ready to send</h2><p><b id=\"recipients\" data-count=\"{count}\">{count}</b> recipient(s) now.</p>");
            if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
            {
                sb.Append(Button(http, $"/admin/broadcasts/{id}/start", $"Send to {count} recipient(s)", "btn btn-primary", $"Send broadcast {id} to {count} recipient(s)?"));
                if (b.AdminUserId is not null) sb.Append(" " + Button(http, $"/admin/broadcasts/{id}/test", "Send me the test again", "btn"));
                sb.Append(" " + Button(http, $"/admin/broadcasts/{id}/cancel", "Discard", "btn btn-danger"));
            }
            sb.Append("</section>");
        }
        else
        {
            sb.Append($"<section class=\"card\"><h2>Progress</h2><div id=\"progress\" hx-get=\"/admin/broadcasts/{id}/progress\" hx-trigger=\"every 1s\" hx-swap=\"innerHTML\">{ProgressHtml(http, b)}</div></section>");
        }
        return Page(http, $"Broadcast {id}", "broadcasts", sb.ToString());
    }

    public static async Task<IResult> Progress(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, CancellationToken ct)
    {
        if ((await BroadcastsModule.Get(id, db, broadcasts, ct)).Result is not Ok<BroadcastsModule.BroadcastView> ok) return Results.NotFound();
        return Results.Content(ProgressHtml(http, ok.Value!), "text/html; charset=utf-8");
    }

    private static int Percent(BroadcastsModule.BroadcastView b)
    {
        if (b.Status == BroadcastStatus.Completed) return 100;
        var done = b.Sent + b.Failed + b.Blocked;
        return b.Total is > 0 and var t ? (int)Math.Min(100, done * 100L / t) : 0;
    }

    private static string Bar(BroadcastsModule.BroadcastView b) =>
        b.Status == BroadcastStatus.Draft ? "<span class=\"muted\">—</span>" :
        $"<div class=\"progress\" role=\"progressbar\" aria-valuemin=\"0\" aria-valuemax=\"100\" aria-valuenow=\"{Percent(b)}\"><div class=\"progress-bar\" style=\"width:{Percent(b)}%\"></div></div>" +
        $"<span class=\"small\">{Percent(b)}%</span>";

    private static string ProgressHtml(HttpContext http, BroadcastsModule.BroadcastView b)
    {
        var eta = b.EtaSeconds is { } s ? TimeSpan.FromSeconds(s).ToString(s >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "—";
        var sb = new StringBuilder($"""
            <p>{Badge(b.Status.ToString())} <span id="percent">{Percent(b)}%</span></p>
            {Bar(b)}
            <ul class="bc-stats small">
              <li>Recipients <b id="total">{(b.Total?.ToString(CultureInfo.InvariantCulture) ?? "counting…")}</b></li>
              <li>Sent <b id="sent">{b.Sent}</b></li><li>Failed <b id="failed">{b.Failed}</b></li><li>Blocked the bot <b id="blocked">{b.Blocked}</b></li>
              <li>Not sent (cancelled) <b>{b.Cancelled}</b></li><li>Left <b>{b.Remaining}</b></li><li>ETA <b id="eta">{eta}</b></li>
            </ul>
            """);
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
        {
            if (b.Status == BroadcastStatus.Running) sb.Append(Button(http, $"/admin/broadcasts/{b.Id}/pause", "Pause", "btn"));
            if (b.Status == BroadcastStatus.Paused) sb.Append(Button(http, $"/admin/broadcasts/{b.Id}/resume", "Resume", "btn btn-primary"));
            if (b.Status is BroadcastStatus.Running or BroadcastStatus.Paused)
                sb.Append(" " + Button(http, $"/admin/broadcasts/{b.Id}/cancel", "Cancel", "btn btn-danger", $"Cancel broadcast {b.Id}? Nobody who has not got it yet will."));
        }
        return sb.ToString();
    }

    public static async Task<IResult> Start(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, WriteGate gate, AuditLog audit, CancellationToken ct)
    {
        var back = $"/admin/broadcasts/{id}";
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var b = await db.Broadcasts.FirstOrDefaultAsync(x => x.Id == id, ct);
            if (b is null) return RedirectWith(http, "/admin/broadcasts", $"There is no broadcast {id}.", error: true);
            if (b.Status != BroadcastStatus.Draft) return RedirectWith(http, back, $"Broadcast {id} is {b.Status.ToString().ToLowerInvariant()}, not a draft.", error: true);
            var count = await broadcasts.CountAsync(new Segments.Spec(b.Segment, b.SegmentValue), ct);
            if (count == 0) return RedirectWith(http, back, "Nobody is in this segment right now, so there is nothing to send.", error: true);
            await broadcasts.StartAsync(b, ct);
            await tx.CommitAsync(ct);
        }
        await audit.WriteAsync("broadcast.start", $"broadcast:{id}", new { status = "Draft" }, new { status = "Running" }, ct);
        return RedirectWith(http, back, $"Broadcast {id} is on its way.");
    }

    public static async Task<IResult> Test(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, CancellationToken ct)
    {
        var b = await db.Broadcasts.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (b is null) return RedirectWith(http, "/admin/broadcasts", $"There is no broadcast {id}.", error: true);
        if (b.AdminUserId is null) return RedirectWith(http, $"/admin/broadcasts/{id}", "This draft has no Telegram id for a test copy.", error: true);
        await broadcasts.SendTestAsync(b, ct);
        await db.SaveChangesAsync(ct);
        return RedirectWith(http, $"/admin/broadcasts/{id}", "A test copy is on its way to your Telegram.");
    }

    public static Task<IResult> Pause(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, AuditLog audit, CancellationToken ct) =>
        ChangeAsync(id, "pause", BroadcastsModule.Pause(id, db, broadcasts, ct), http, audit, ct);

    public static Task<IResult> Resume(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, AuditLog audit, CancellationToken ct) =>
        ChangeAsync(id, "resume", BroadcastsModule.Resume(id, db, broadcasts, ct), http, audit, ct);

    public static Task<IResult> Cancel(long id, HttpContext http, BazaarDb db, BroadcastService broadcasts, AuditLog audit, CancellationToken ct) =>
        ChangeAsync(id, "cancel", BroadcastsModule.Cancel(id, db, broadcasts, ct), http, audit, ct);

    private static async Task<IResult> ChangeAsync(long id, string action, Task<Results<Ok<BroadcastsModule.BroadcastView>, ProblemHttpResult>> change,
        HttpContext http, AuditLog audit, CancellationToken ct)
    {
        var result = (await change).Result;
        if (result is ProblemHttpResult p)
            return RedirectWith(http, p.StatusCode == 404 ? "/admin/broadcasts" : $"/admin/broadcasts/{id}", p.ProblemDetails.Detail ?? "Nothing changed.", error: true);
        var b = ((Ok<BroadcastsModule.BroadcastView>)result).Value!;
        await audit.WriteAsync($"broadcast.{action}", $"broadcast:{id}", null, new { status = b.Status.ToString() }, ct);
        return RedirectWith(http, $"/admin/broadcasts/{id}", $"Broadcast {id} is {b.Status.ToString().ToLowerInvariant()}.");
    }
}
