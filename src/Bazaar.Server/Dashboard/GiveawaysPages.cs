using System.Text;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Giveaways: create, edit, publish into a channel, participants, the provably fair draw with its commitment, seed and
/// verification data, and the winners' delivery. Every change goes through the giveaways' own API handlers.
/// </summary>
internal static class GiveawaysPages
{
    public static async Task<IResult> List(HttpContext http, BazaarDb db, TimeProvider clock, CancellationToken ct, int page = 1)
    {
        page = Math.Max(1, page);
        var list = (await GiveawayApi.List(db, ct, page, 50)).Value!;
        var sb = new StringBuilder("<section class=\"card\"><div class=\"scroll\"><table><thead><tr><th>#</th><th>Giveaway</th><th>Status</th><th>Prize</th><th class=\"num\">Joined</th><th class=\"num\">Winners</th><th>Runs</th></tr></thead><tbody>");
        foreach (var g in list.Items)
            sb.Append($"<tr data-giveaway=\"{g.Id}\"><td>{g.Id}</td><td><a href=\"/admin/giveaways/{g.Id}\">{E(g.Title)}</a></td><td>{Badge(g.Status)}</td><td>{E(g.Prize)}</td>" +
                      $"<td class=\"num\">{g.ParticipantCount}</td><td class=\"num\">{g.WinnerCount}</td><td>{Time(g.StartsAt)} → {Time(g.EndsAt)}</td></tr>");
        if (list.Items.Count == 0) sb.Append("<tr><td colspan=\"7\" class=\"muted\">No giveaways yet.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 50, list.Total)}</section>");
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
            sb.Append($"<section class=\"card\"><h2>New giveaway</h2>{Form(http, null, clock.GetUtcNow().UtcDateTime)}</section>");
        return Page(http, "Giveaways", "giveaways", sb.ToString());
    }

    private static string Form(HttpContext http, GiveawayApi.GiveawayView? g, DateTime now)
    {
        var closed = g?.Status is nameof(GiveawayStatus.Drawn) or nameof(GiveawayStatus.Cancelled);
        var dis = DashboardAuth.Allows(http.User, DashboardAuth.Manage) && !closed ? "" : " disabled";
        var channels = string.Join("\n", (g?.RequiredChannels ?? []).Select(c => $"{c.ChatId} {c.Title}"));
        return $"""
            <form method="post" action="/admin/giveaways{(g is null ? "" : $"/{g.Id}")}" class="form-grid">
              {Csrf(http)}
              <label>Title <input name="title" required maxlength="200" value="{E(g?.Title)}"{dis}></label>
              <label>Prize <input name="prize" required maxlength="1000" value="{E(g?.Prize)}"{dis}></label>
              <label class="wide">Description <textarea name="description" rows="2" maxlength="4000"{dis}>{E(g?.Description)}</textarea></label>
              <label>Winners <input name="winnerCount" type="number" min="1" max="10000" value="{g?.WinnerCount ?? 1}"{dis}></label>
              <label>Starts (UTC) <input name="startsAt" type="datetime-local" required value="{LocalInput(g?.StartsAt ?? now)}"{dis}></label>
              <label>Ends (UTC) <input name="endsAt" type="datetime-local" required value="{LocalInput(g?.EndsAt ?? now.AddDays(7))}"{dis}></label>
              <label>End early after this many joined (optional) <input name="endAfter" type="number" min="1" value="{g?.EndAfterParticipants}"{dis}></label>
              <label>Photo URL (optional) <input name="photoUrl" type="url" value="{E(g?.PhotoUrl)}"{dis}></label>
              <label>Beacon (optional) <input name="beacon" placeholder="bitcoin:block:900000" value="{E(g?.BeaconSource)}"{dis}></label>
              <label class="wide">Channels to be subscribed to, one per line: chat id, then title <textarea name="channels" rows="2" placeholder="@mychannel My channel"{dis}>{E(channels)}</textarea></label>
              <label class="inline-label"><input name="notifyNonWinners" type="checkbox"{(g?.NotifyNonWinners == true ? " checked" : "")}{dis}> tell the others they did not win</label>
              {(dis == "" ? $"<div class=\"wide\"><button class=\"btn btn-primary\" type=\"submit\">{(g is null ? "Create giveaway (draft)" : "Save changes")}</button></div>" : "")}
            </form>
            """;
    }

    private static GiveawayApi.GiveawayRequest? Request(IFormCollection f, out string? error)
    {
        error = null;
        if (Utc(f, "startsAt") is not { } starts || Utc(f, "endsAt") is not { } ends)
        {
            error = "Give when the giveaway starts and ends.";
            return null;
        }
        var channels = Text(f, "channels").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 2, StringSplitOptions.TrimEntries))
            .Select(p => new GiveawayApi.ChannelRequest(p[0], p.Length > 1 ? p[1] : "", null)).ToList();
        return new GiveawayApi.GiveawayRequest(Text(f, "title"), Text(f, "description"), Text(f, "prize"), Int(f, "winnerCount") ?? 0, starts, ends,
            Int(f, "endAfter"), Optional(f, "photoUrl"), channels, Optional(f, "beacon"), Check(f, "notifyNonWinners"));
    }

    public static async Task<IResult> Create(HttpContext http, BazaarDb db, ChatMembers members, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        if (Request(f, out var error) is not { } req) return RedirectWith(http, "/admin/giveaways", error!, error: true);
        var result = await GiveawayApi.Create(req, db, members, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/giveaways", problem, error: true);
        var g = Value<GiveawayApi.GiveawayView>(result)!;
        await audit.WriteAsync("giveaway.create", $"giveaway:{g.Id}", null, g, ct);
        return RedirectWith(http, $"/admin/giveaways/{g.Id}", $"Giveaway \"{g.Title}\" created as a draft. Publish it to open it for joining.");
    }

    public static async Task<IResult> Update(long id, HttpContext http, BazaarDb db, ChatMembers members, AuditLog audit, CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var self = $"/admin/giveaways/{id}";
        if (Request(f, out var error) is not { } req) return RedirectWith(http, self, error!, error: true);
        var before = Value<GiveawayApi.GiveawayView>(await GiveawayApi.Get(id, db, ct));
        var result = await GiveawayApi.Update(id, req, db, members, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, before is null ? "/admin/giveaways" : self, problem, error: true);
        await audit.WriteAsync("giveaway.update", $"giveaway:{id}", before, Value<GiveawayApi.GiveawayView>(result), ct);
        return RedirectWith(http, self, "Saved.");
    }

    public static async Task<IResult> Show(long id, HttpContext http, BazaarDb db, TimeProvider clock, CancellationToken ct, int page = 1)
    {
        var g = Value<GiveawayApi.GiveawayView>(await GiveawayApi.Get(id, db, ct));
        if (g is null) return Page(http, "No such giveaway", "giveaways", $"<p>There is no giveaway {id}. <a href=\"/admin/giveaways\">All giveaways</a></p>", 404);
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var open = g.Status is nameof(GiveawayStatus.Draft) or nameof(GiveawayStatus.Published);
        var sb = new StringBuilder($"""
            <section class="card">
              <p>{Badge(g.Status)} · <b>{g.ParticipantCount}</b> joined · {g.WinnerCount} winner(s) · {Time(g.StartsAt)} → {Time(g.EndsAt)}
                 · join link <code>{E(g.JoinLink)}</code>{(g.PostChatId is null ? "" : $" · posted in <code>{E(g.PostChatId)}</code>")}</p>
            """);
        if (canEdit && open)
        {
            sb.Append($"""
                <div class="actions">
                  <form method="post" action="/admin/giveaways/{id}/publish" class="inline reject">
                    {Csrf(http)}
                    <input name="chatId" required placeholder="channel to post in: @name or -100…" aria-label="Channel to post in" value="{E(g.PostChatId)}">
                    <select name="channel" aria-label="Messenger"><option value="telegram">Telegram</option><option value="sandbox">sandbox</option></select>
                    <button class="btn btn-primary" type="submit">{(g.Status == nameof(GiveawayStatus.Draft) ? "📣 Publish" : "📣 Post again")}</button>
                  </form>
                  {(g.Status == nameof(GiveawayStatus.Published) && g.ParticipantCount > 0
                      ? Button(http, $"/admin/giveaways/{id}/draw", "🎲 Draw the winners now", "btn btn-danger", $"Draw {g.WinnerCount} winner(s) among {g.ParticipantCount} participants now? This cannot be undone.")
                      : "")}
                </div>
                """);
        }
        sb.Append("</section>");

        var draw = Value<PublishedDraw>(await GiveawayApi.DrawData(id, db, ct));
        sb.Append($"""
            <section class="card" id="draw"><h2>Provably fair draw</h2>
              <dl class="verify">
                <dt>Commitment (SHA-256 of the seed, shown before the draw)</dt><dd><code>{E(g.Commitment)}</code></dd>
                <dt>Seed</dt><dd>{(draw?.Seed is { } seed ? $"<code>{E(seed)}</code>" : "<span class=\"muted\">revealed after the draw</span>")}</dd>
                <dt>Beacon</dt><dd>{E(g.BeaconSource ?? "none")}{(g.Beacon is null ? "" : $": <code>{E(g.Beacon)}</code>")}</dd>
                <dt>Participant list hash</dt><dd>{(draw?.ParticipantListHash is { } h ? $"<code>{E(h)}</code>" : "—")}</dd>
                <dt>Method</dt><dd><code>{E(FairDraw.Method)}</code></dd>
                <dt>Drawn</dt><dd>{Time(g.DrawnAt)}</dd>
              </dl>
              {(g.Status == nameof(GiveawayStatus.Draft) ? "" : $"<p class=\"small\">Verification data anyone can download and recompute: <a href=\"/api/v1/giveaways/{id}/draw\">/api/v1/giveaways/{id}/draw</a></p>")}
            </section>
            """);

        if (g.Status == nameof(GiveawayStatus.Drawn) && Value<List<GiveawayApi.WinnerView>>(await GiveawayApi.Winners(id, db, clock, ct)) is { } winners)
        {
            sb.Append("<section class=\"card\"><h2>Winners</h2><div class=\"scroll\"><table><thead><tr><th>#</th><th>Winner</th><th>Told</th><th>Attempts</th></tr></thead><tbody>");
            foreach (var w in winners)
                sb.Append($"<tr><td>{w.Position}</td><td>{E(w.Name)}{(w.Username is null ? "" : $" @{E(w.Username)}")} <span class=\"muted\">({w.UserId})</span></td>" +
                          $"<td>{Badge(w.Delivery)}{(w.DeliveryError is null ? "" : $"<div class=\"muted small\">{E(w.DeliveryError)}</div>")}</td><td class=\"num\">{w.DeliveryAttempts}</td></tr>");
            sb.Append("</tbody></table></div></section>");
        }

        page = Math.Max(1, page);
        var q = from p in db.GiveawayParticipants.AsNoTracking()
                join u in db.Users.AsNoTracking() on p.UserId equals u.Id
                where p.GiveawayId == id
                orderby p.Id
                select new { p.Id, p.JoinedAt, p.SubscriptionCheckedAt, u };
        var total = await q.CountAsync(ct);
        var rows = await q.Skip((page - 1) * 100).Take(100).ToListAsync(ct);
        sb.Append("<section class=\"card\" id=\"participants\"><h2>Participants</h2><div class=\"scroll\"><table><thead><tr><th>#</th><th>User</th><th>Joined</th><th>Subscriptions checked</th></tr></thead><tbody>");
        foreach (var r in rows)
            sb.Append($"<tr><td>{r.Id}</td><td><a href=\"/admin/users/{r.u.Id}\">{E(r.u.DisplayName)}</a>{(r.u.Username is null ? "" : $" <span class=\"muted\">@{E(r.u.Username)}</span>")}</td><td>{Time(r.JoinedAt)}</td><td>{Time(r.SubscriptionCheckedAt)}</td></tr>");
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"4\" class=\"muted\">Nobody has joined yet.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, 100, total)}</section>");
        sb.Append($"<section class=\"card\"><h2>Details</h2>{Form(http, g, clock.GetUtcNow().UtcDateTime)}</section>");
        return Page(http, g.Title, "giveaways", sb.ToString());
    }

    public static async Task<IResult> Publish(long id, HttpContext http, BazaarDb db, GiveawayPosts posts, ChatMembers members, AuditLog audit,
        CancellationToken ct)
    {
        var f = await http.Request.ReadFormOrBadRequestAsync(ct);
        var channel = Text(f, "channel") is { Length: > 0 } c ? c : ChatChannel.Telegram;
        var before = Value<GiveawayApi.GiveawayView>(await GiveawayApi.Get(id, db, ct));
        var result = await GiveawayApi.Publish(id, new GiveawayApi.PublishRequest(Text(f, "chatId"), channel), db, posts, members, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, $"/admin/giveaways/{id}", problem, error: true);
        var g = Value<GiveawayApi.GiveawayView>(result)!;
        await audit.WriteAsync("giveaway.publish", $"giveaway:{id}", new { before?.Status }, new { g.Status, g.PostChatId }, ct);
        return RedirectWith(http, $"/admin/giveaways/{id}", $"Published: the post with its Join button goes to {g.PostChatId}.");
    }

    public static async Task<IResult> Draw(long id, HttpContext http, WinnerDrawing drawing, AuditLog audit, CancellationToken ct)
    {
        var result = await GiveawayApi.Draw(id, drawing, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, $"/admin/giveaways/{id}", problem, error: true);
        var d = Value<PublishedDraw>(result)!;
        await audit.WriteAsync("giveaway.draw", $"giveaway:{id}", null, new { d.Winners, d.Seed, d.ParticipantListHash, d.ParticipantCount }, ct);
        return RedirectWith(http, $"/admin/giveaways/{id}#draw", $"Drawn: {d.Winners.Count} winner(s) among {d.ParticipantCount} participants; they are being told.");
    }
}
