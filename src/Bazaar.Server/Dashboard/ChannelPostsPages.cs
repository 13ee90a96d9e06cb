using System.Security.Claims;
using System.Text;
using Bazaar.Server.Broadcasts;
using Bazaar.Server.ChannelPosts;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;
using View = Bazaar.Server.ChannelPosts.ChannelPostsModule.ChannelPostView;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Scheduled channel posts: the list with status filters, scheduling a post, changing it before and after it is posted,
/// and deleting it. Every change goes through the channel posts' own API handlers, so their rules (what may change once
/// posted, the version that publishes, the edit or deletion in the channel) stay theirs.
/// </summary>
internal static class ChannelPostsPages
{
    public const int PageSize = 25;

    /// <summary>What the form holds: as typed, so an error can show it again.</summary>
    private sealed record PostForm(string ChatId, string Text, string Photo, string Buttons, bool Pin, string PostAt, string PostAtWas);

    private static string ButtonsBox(IReadOnlyList<IReadOnlyList<BroadcastButton>> rows) =>
        string.Join("\n", rows.Select(r => string.Join(" || ", r.Select(b => $"{b.Text} | {b.Url}"))));

    private static PostForm FromView(View v) =>
        new(v.ChatId, v.Text, v.Photo ?? "", ButtonsBox(v.Buttons), v.Pin, LocalInput(v.PostAt), LocalInput(v.PostAt));

    private static PostForm Read(IFormCollection f) =>
        new(Text(f, "chatId"), f["text"].ToString().Replace("\r\n", "\n"), Text(f, "photo"), f["buttons"].ToString(), Check(f, "pin"),
            Text(f, "postAt"), Text(f, "postAtWas"));

    private static List<List<BroadcastButton>> Rows(IReadOnlyList<IReadOnlyList<BroadcastButton>>? rows) =>
        (rows ?? []).Select(r => r.ToList()).ToList();

    /// <summary>The operator as the handlers record them: "dashboard:name", no API key.</summary>
    private static ClaimsPrincipal Author(HttpContext http) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, $"dashboard:{DashboardAuth.Actor(http.User)}")], "dashboard"));

    private static string Opt(string value, string label, string? selected) =>
        $"<option value=\"{E(value)}\"{(selected == value ? " selected" : "")}>{E(label)}</option>";

    private static bool Editable(ChannelPostStatus s) => s is ChannelPostStatus.Scheduled or ChannelPostStatus.Failed or ChannelPostStatus.Posted;

    private static string Form(HttpContext http, View? post, PostForm f, string? error)
    {
        // Once posted, only the text, buttons and pin can change (the handler's rule); the other fields are shown fixed.
        var fixedOnce = post?.Status == ChannelPostStatus.Posted ? " disabled" : "";
        var action = post is null ? "/admin/channel-posts" : $"/admin/channel-posts/{post.Id}";
        var submit = post is null ? "Schedule post" : post.Status switch
        {
            ChannelPostStatus.Posted => "Save and edit in the channel",
            ChannelPostStatus.Failed => "Save and try again",
            _ => "Save changes",
        };
        return $"""
            {(error is null ? "" : $"<p class=\"flash flash-error\" id=\"form-error\" role=\"alert\">{E(error)}</p>")}
            <form method="post" action="{action}" class="form-grid" id="post-form">
              {Csrf(http)}
              <label>Channel (its -100… id or @username) <input name="chatId" required maxlength="64" value="{E(f.ChatId)}" aria-label="Channel"{fixedOnce}></label>
              <label>Post at (UTC; empty: now) <input name="postAt" type="datetime-local" value="{E(f.PostAt)}" aria-label="Post at (UTC)"{fixedOnce}></label>
              <input type="hidden" name="postAtWas" value="{E(f.PostAtWas)}">
              <label class="wide">Text (Telegram HTML: b, i, u, s, a, code, pre, blockquote; a photo's caption when there is a photo)<textarea name="text" rows="6" maxlength="{BroadcastContent.MaxText}" required aria-label="Text">{E(f.Text)}</textarea></label>
              <label class="wide">Photo (optional: an https URL or a Telegram file id){(post?.Status == ChannelPostStatus.Posted ? " · fixed once posted" : "")}<input name="photo" maxlength="1024" value="{E(f.Photo)}" aria-label="Photo"{fixedOnce}></label>
              <label class="wide"><span>Buttons (optional: one row per line, each <code>Text | https://link</code>, several on a row separated by <code>||</code>)</span><textarea name="buttons" rows="2" aria-label="Buttons" placeholder="Open the shop | https://t.me/yourbot?start=shop">{E(f.Buttons)}</textarea></label>
              <label class="inline-label"><input type="checkbox" name="pin"{(f.Pin ? " checked" : "")}> pin it in the channel</label>
              <div class="wide"><button class="btn btn-primary" type="submit">{E(submit)}</button></div>
            </form>
            """;
    }

    public static Task<IResult> List(HttpContext http, BazaarDb db, ChannelPostService posts, CancellationToken ct,
        string? status = null, string? chat = null, int page = 1) =>
        ListPage(http, db, posts, status, chat, page, null, null, 200, ct);

    private static async Task<IResult> ListPage(HttpContext http, BazaarDb db, ChannelPostService posts, string? status, string? chat, int page,
        PostForm? form, string? error, int code, CancellationToken ct)
    {
        page = Math.Max(1, page);
        var q = db.ChannelPosts.AsNoTracking();
        var filter = Enum.TryParse<ChannelPostStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s) ? s : (ChannelPostStatus?)null;
        if (filter is { } st) q = q.Where(p => p.Status == st);
        if (!string.IsNullOrWhiteSpace(chat)) q = q.Where(p => p.ChatId == chat.Trim());
        var total = await q.CountAsync(ct);
        var ids = await q.OrderByDescending(p => p.PostAt).ThenByDescending(p => p.Id).Skip((page - 1) * PageSize).Take(PageSize).Select(p => p.Id).ToListAsync(ct);
        // A post whose send has finished shows what Telegram answered (the same reconciliation as the API's read).
        var rows = new List<ChannelPost>();
        foreach (var id in ids)
        {
            await posts.ReconcileAsync(id, ct);
            rows.Add(await db.ChannelPosts.AsNoTracking().FirstAsync(p => p.Id == id, ct));
        }

        var sb = new StringBuilder($"""
            <section class="card">
              <form method="get" class="filters" aria-label="Filter channel posts">
                <select name="status" aria-label="Status">{Opt("", "any status", filter?.ToString())}{string.Join("", Enum.GetNames<ChannelPostStatus>().Select(n => Opt(n, n.ToLowerInvariant(), filter?.ToString())))}</select>
                <input name="chat" value="{E(chat)}" placeholder="channel: -100… or @name" aria-label="Channel">
                <button class="btn" type="submit">Filter</button>
              </form>
              <div class="scroll"><table><thead><tr><th>#</th><th>Channel</th><th>Post</th><th>Status</th><th>Post at (UTC)</th><th>Posted</th><th>By</th></tr></thead><tbody>
            """);
        foreach (var p in rows)
        {
            var text = p.Text.Length > 60 ? p.Text[..60] + "…" : p.Text;
            sb.Append($"<tr data-post=\"{p.Id}\"><td><a href=\"/admin/channel-posts/{p.Id}\">{p.Id}</a></td><td><code>{E(p.ChatId)}</code></td>" +
                      $"<td><a href=\"/admin/channel-posts/{p.Id}\">{E(text)}</a>{(p.Photo is null ? "" : " 🖼")}{(p.Buttons is null ? "" : " 🔘")}{(p.Pin ? " 📌" : "")}</td>" +
                      $"<td>{Badge(p.Status.ToString())}</td><td>{Time(p.PostAt)}</td>" +
                      $"<td>{Time(p.PostedAt)}{(p.MessageId is { } m ? $" <span class=\"muted small\">message {m}</span>" : "")}</td><td class=\"small\">{E(p.CreatedBy)}</td></tr>");
        }
        if (rows.Count == 0) sb.Append("<tr><td colspan=\"7\" class=\"muted\">No channel posts match.</td></tr>");
        sb.Append($"</tbody></table></div>{Pager(http.Request, page, PageSize, total)}</section>");
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
            sb.Append($"<section class=\"card\" id=\"new\"><h2>New channel post</h2>{Form(http, null, form ?? new PostForm("", "", "", "", false, "", ""), error)}" +
                      "<p class=\"muted small\">The bot must be an administrator of the channel, allowed to post (and to pin, for a pinned post).</p></section>");
        return Page(http, "Channel posts", "channel-posts", sb.ToString(), code);
    }

    public static async Task<IResult> Create(HttpContext http, BazaarDb db, ChannelPostService posts, WriteGate gate, TimeProvider clock, AuditLog audit,
        CancellationToken ct)
    {
        var f = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        var (buttons, buttonsProblem) = BroadcastsPages.ParseButtons(f.Buttons);
        if (buttonsProblem is not null) return await ListPage(http, db, posts, null, null, 1, f, buttonsProblem, 422, ct);
        DateTime? at = null;
        if (f.PostAt.Length > 0)
        {
            if (Utc(f.PostAt) is not { } t)
                return await ListPage(http, db, posts, null, null, 1, f, "The time is not a date and time.", 422, ct);
            at = t;
        }
        var result = await ChannelPostsModule.Create(new ChannelPostsModule.CreateChannelPostRequest(f.ChatId, f.Text, f.Photo, Rows(buttons), f.Pin, at),
            db, posts, gate, clock, Author(http), ct);
        if (Problem(result) is { } problem) return await ListPage(http, db, posts, null, null, 1, f, problem, 422, ct);
        var v = Value<View>(result)!;
        await audit.WriteAsync("channel_post.create", $"channel_post:{v.Id}", null, v, ct);
        return RedirectWith(http, $"/admin/channel-posts/{v.Id}", $"Post {v.Id} scheduled for {v.PostAt:yyyy-MM-dd HH:mm} UTC in {v.ChatId}.");
    }

    public static async Task<IResult> Show(long id, HttpContext http, BazaarDb db, ChannelPostService posts, CancellationToken ct) =>
        Value<View>(await ChannelPostsModule.Get(id, db, posts, ct)) is { } v
            ? PostPage(http, v, FromView(v), null, 200)
            : Page(http, "No such channel post", "channel-posts", $"<p>There is no channel post {id}. <a href=\"/admin/channel-posts\">All channel posts</a></p>", 404);

    private static IResult PostPage(HttpContext http, View v, PostForm f, string? error, int code)
    {
        var canEdit = DashboardAuth.Allows(http.User, DashboardAuth.Manage);
        var sb = new StringBuilder($"""
            <p><a href="/admin/channel-posts">← All channel posts</a></p>
            <section class="card">
              <p>{Badge(v.Status.ToString())} in <code>{E(v.ChatId)}</code> · post at {Time(v.PostAt)} UTC{(v.Pin ? " · 📌 pinned" : "")}
                 {(v.MessageId is { } m ? $" · message <b id=\"message-id\">{m}</b> posted {Time(v.PostedAt)}" : "")}{(v.DeletedAt is { } d ? $" · deleted {Time(d)}" : "")}</p>
              {(v.Status == ChannelPostStatus.Failed && v.Error is not null ? $"<p class=\"flash flash-error\" id=\"post-error\">Telegram refused it: {E(v.Error)}</p>" : "")}
              {(v.Status == ChannelPostStatus.Sending ? "<p class=\"muted\">Handed to Telegram; waiting for its answer. Reload in a few seconds.</p>" : "")}
              <h3>As the channel shows it</h3>{BroadcastsPages.Preview(v.Text, v.Photo, v.Buttons)}
              <p class="muted small">Created {Time(v.CreatedAt)} by {E(v.CreatedBy)} · changed {Time(v.UpdatedAt)}</p>
            </section>
            """);
        if (canEdit && Editable(v.Status))
        {
            var note = v.Status == ChannelPostStatus.Posted
                ? "It is in the channel: a new text or buttons are edited there, and the pin follows the box. To change the channel, time or photo, delete it and schedule a new one."
                : v.Status == ChannelPostStatus.Failed ? "Saving schedules it again (at once, if its time has passed)." : "It goes out at its time; until then everything can change.";
            sb.Append($"<section class=\"card\" id=\"edit\"><h2>Change</h2><p class=\"muted small\">{E(note)}</p>{Form(http, v, f, error)}</section>");
        }
        else if (error is not null)
        {
            sb.Append($"<p class=\"flash flash-error\" id=\"form-error\" role=\"alert\">{E(error)}</p>");
        }
        if (canEdit && v.Status is not (ChannelPostStatus.Deleted or ChannelPostStatus.Sending))
        {
            var what = v.Status == ChannelPostStatus.Posted ? "Delete from the channel" : "Delete (never post)";
            sb.Append($"<section class=\"card\">{Button(http, $"/admin/channel-posts/{v.Id}/delete", what, "btn btn-danger", $"{what}: post {v.Id}?")}</section>");
        }
        return Page(http, $"Channel post {v.Id}", "channel-posts", sb.ToString(), code);
    }

    public static async Task<IResult> Update(long id, HttpContext http, BazaarDb db, ChannelPostService posts, WriteGate gate, TimeProvider clock,
        AuditLog audit, CancellationToken ct)
    {
        var f = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        var before = Value<View>(await ChannelPostsModule.Get(id, db, posts, ct));
        if (before is null) return RedirectWith(http, "/admin/channel-posts", $"There is no channel post {id}.", error: true);
        var (buttons, buttonsProblem) = BroadcastsPages.ParseButtons(f.Buttons);
        if (buttonsProblem is not null) return PostPage(http, before, f, buttonsProblem, 422);
        var posted = before.Status == ChannelPostStatus.Posted;
        DateTime? at = null;
        // The time is sent only when the operator changed it, so saving a failed post whose time has passed tries it again now.
        if (!posted && f.PostAt.Length > 0 && f.PostAt != f.PostAtWas)
        {
            if (Utc(f.PostAt) is not { } t) return PostPage(http, before, f, "The time is not a date and time.", 422);
            at = t;
        }
        var request = new ChannelPostsModule.UpdateChannelPostRequest(
            ChatId: posted ? null : f.ChatId, Text: f.Text, Photo: posted ? null : f.Photo, Buttons: Rows(buttons), Pin: f.Pin, PostAt: at);
        var result = await ChannelPostsModule.Update(id, request, db, posts, gate, clock, ct);
        if (Problem(result) is { } problem)
        {
            db.ChangeTracker.Clear();
            var now = Value<View>(await ChannelPostsModule.Get(id, db, posts, ct)) ?? before;
            return PostPage(http, now, f, problem, Inner(result) is ProblemHttpResult { StatusCode: 409 } ? 409 : 422);
        }
        var after = Value<View>(result)!;
        await audit.WriteAsync("channel_post.update", $"channel_post:{id}", before, after, ct);
        return RedirectWith(http, $"/admin/channel-posts/{id}", posted
            ? "Saved; the post in the channel is being updated."
            : $"Saved; it goes out {after.PostAt:yyyy-MM-dd HH:mm} UTC.");
    }

    public static async Task<IResult> Delete(long id, HttpContext http, BazaarDb db, ChannelPostService posts, WriteGate gate, TimeProvider clock,
        AuditLog audit, CancellationToken ct)
    {
        var before = Value<View>(await ChannelPostsModule.Get(id, db, posts, ct));
        if (before is null) return RedirectWith(http, "/admin/channel-posts", $"There is no channel post {id}.", error: true);
        var result = await ChannelPostsModule.Delete(id, db, posts, gate, clock, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, $"/admin/channel-posts/{id}", problem, error: true);
        db.ChangeTracker.Clear();
        var after = Value<View>(await ChannelPostsModule.Get(id, db, posts, ct));
        await audit.WriteAsync("channel_post.delete", $"channel_post:{id}", before, after, ct);
        return RedirectWith(http, $"/admin/channel-posts/{id}", before.Status == ChannelPostStatus.Posted
            ? $"Post {id} deleted; it is being removed from the channel."
            : $"Post {id} deleted; it will not be posted.");
    }
}
