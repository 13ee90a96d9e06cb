using System.Text;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Guides;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using static Bazaar.Server.Dashboard.ApiCalls;
using static Bazaar.Server.Dashboard.Html;
using GuideView = Bazaar.Server.Guides.GuidesModule.GuideView;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// Help guides: the topics /help shows, per language; add, change (with the message the bot sends, previewed as its
/// HTML) and remove. Every change goes through the guides' own API handlers; a topic taken is a form error, not a crash.
/// </summary>
internal static class GuidesPages
{
    private sealed record GuideForm(string Topic, string Position, string TitleEn, string TitleRu, string BodyEn, string BodyRu);

    private static GuideForm FromView(GuideView g) =>
        new(g.Topic, g.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), g.TitleEn, g.TitleRu ?? "", g.BodyEn, g.BodyRu ?? "");

    private static GuideForm Read(IFormCollection f) =>
        new(Text(f, "topic"), Text(f, "position"), Text(f, "titleEn"), Text(f, "titleRu"),
            f["bodyEn"].ToString().Replace("\r\n", "\n"), f["bodyRu"].ToString().Replace("\r\n", "\n"));

    private static GuidesModule.GuideRequest Request(GuideForm f) =>
        new(f.Topic, int.TryParse(f.Position, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : 0, f.TitleEn, f.TitleRu, f.BodyEn, f.BodyRu);

    /// <summary>The message as the bot sends it in one language (GuidesBot: the title in bold, then the body's HTML).</summary>
    private static string Message(string title, string body) =>
        $"📖 <b>{ConversationTexts.Html(title)}</b>\n\n{GuideMarkup.ToHtml(body)}";

    /// <summary>
    /// Both languages: the message as Telegram shows it and the HTML the bot sends. GuideMarkup escapes everything and
    /// only emits b, i, code and http(s)/tg links, so its output is safe to show as markup here.
    /// </summary>
    private static string Preview(GuideForm f)
    {
        var sb = new StringBuilder("<div class=\"compose\">");
        foreach (var (lang, title, body, fallback) in new[]
                 {
                     ("English", f.TitleEn, f.BodyEn, false),
                     ("Russian", f.TitleRu.Length > 0 ? f.TitleRu : f.TitleEn, f.BodyRu.Length > 0 ? f.BodyRu : f.BodyEn, f.TitleRu.Length == 0 || f.BodyRu.Length == 0),
                 })
        {
            if (body.Trim().Length == 0 && title.Trim().Length == 0)
            {
                sb.Append($"<div><h3>{lang}</h3><p class=\"muted\">Write a title and a body to see the message.</p></div>");
                continue;
            }
            var html = Message(title.Trim(), body.Trim());
            sb.Append($"<div data-preview=\"{lang.ToLowerInvariant()}\"><h3>{lang}{(fallback ? " <span class=\"muted small\">(English where Russian is missing)</span>" : "")}</h3>" +
                      $"<div class=\"tg-bubble\"><div class=\"tg-text\">{html.Replace("\n", "<br>")}</div></div>" +
                      $"<details><summary class=\"small\">HTML the bot sends</summary><pre class=\"small\">{E(html)}</pre></details></div>");
        }
        return sb.Append("</div>").ToString();
    }

    private static string Form(HttpContext http, string? topic, GuideForm f, string? error)
    {
        var dis = DashboardAuth.Allows(http.User, DashboardAuth.Manage) ? "" : " disabled";
        var action = topic is null ? "/admin/guides" : $"/admin/guides/{Uri.EscapeDataString(topic)}";
        return $"""
            {(error is null ? "" : $"<p class=\"flash flash-error\" id=\"form-error\" role=\"alert\">{E(error)}</p>")}
            <form method="post" action="{E(action)}" class="form-grid" id="guide-form">
              {Csrf(http)}
              <div class="wide compose" hx-post="/admin/guide-preview" hx-trigger="input delay:400ms, change" hx-include="closest form" hx-target="#guide-preview" hx-swap="innerHTML">
                <div class="form-grid">
                  <label>Topic (what /guide takes: a-z, 0-9, - and _) <input name="topic" required maxlength="32" pattern="[a-z0-9][a-z0-9_\-]*" value="{E(f.Topic)}" aria-label="Topic"{dis}></label>
                  <label>Position in /help (smaller first) <input name="position" type="number" value="{E(f.Position)}" aria-label="Position"{dis}></label>
                  <label>Title, English (its button in /help) <input name="titleEn" required maxlength="64" value="{E(f.TitleEn)}" aria-label="Title in English"{dis}></label>
                  <label>Title, Russian (optional) <input name="titleRu" maxlength="64" value="{E(f.TitleRu)}" aria-label="Title in Russian"{dis}></label>
                  <label class="wide">Body, English <textarea name="bodyEn" rows="8" maxlength="8000" required aria-label="Body in English"{dis}>{E(f.BodyEn)}</textarea></label>
                  <label class="wide">Body, Russian (optional: English is shown when missing) <textarea name="bodyRu" rows="8" maxlength="8000" aria-label="Body in Russian"{dis}>{E(f.BodyRu)}</textarea></label>
                </div>
                <div><h2>Preview</h2><div id="guide-preview">{Preview(f)}</div></div>
              </div>
              <p class="muted small wide">Write <code>**bold**</code>, <code>*italic*</code> or <code>_italic_</code>, <code>`code`</code>, <code>[a link](https://…)</code>, <code># </code>headings and <code>- </code>bullets; anything else is plain text.</p>
              {(dis == "" ? $"<div class=\"wide\"><button class=\"btn btn-primary\" type=\"submit\">{(topic is null ? "Add guide" : "Save changes")}</button></div>" : "")}
            </form>
            """;
    }

    public static Task<IResult> List(HttpContext http, BazaarDb db, CancellationToken ct) => ListPage(http, db, null, null, 200, ct);

    private static async Task<IResult> ListPage(HttpContext http, BazaarDb db, GuideForm? form, string? error, int code, CancellationToken ct)
    {
        var guides = (await GuidesModule.List(db, ct)).Value!;
        var sb = new StringBuilder("""
            <section class="card"><p class="muted">The topics /help shows as buttons, in this order; /guide &lt;topic&gt; opens one. A customer sees their language, English where it is missing.</p>
            <div class="scroll"><table><thead><tr><th class="num">Position</th><th>Topic</th><th>English</th><th>Russian</th><th>Changed</th></tr></thead><tbody>
            """);
        foreach (var g in guides)
            sb.Append($"<tr data-guide=\"{E(g.Topic)}\"><td class=\"num\">{g.Position}</td><td><a href=\"/admin/guides/{Uri.EscapeDataString(g.Topic)}\"><code>{E(g.Topic)}</code></a></td>" +
                      $"<td>{E(g.TitleEn)}</td><td>{(g.TitleRu is null && g.BodyRu is null ? "<span class=\"muted\">— English shown</span>" : $"{E(g.TitleRu ?? g.TitleEn)}{(g.BodyRu is null ? " <span class=\"muted small\">(English body)</span>" : "")}")}</td>" +
                      $"<td>{Time(g.UpdatedAt)}</td></tr>");
        if (guides.Count == 0) sb.Append("<tr><td colspan=\"5\" class=\"muted\">No guides yet: /help shows none.</td></tr>");
        sb.Append("</tbody></table></div></section>");
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
            sb.Append($"<section class=\"card\" id=\"new\"><h2>New guide</h2>{Form(http, null, form ?? new GuideForm("", ((guides.LastOrDefault()?.Position ?? 0) + 10).ToString(System.Globalization.CultureInfo.InvariantCulture), "", "", "", ""), error)}</section>");
        return Page(http, "Guides", "guides", sb.ToString(), code);
    }

    /// <summary>The htmx preview of the form as typed.</summary>
    public static async Task<IResult> PreviewForm(HttpContext http, CancellationToken ct) =>
        Results.Content(Preview(Read(await http.Request.ReadFormOrBadRequestAsync(ct))), "text/html; charset=utf-8");

    public static async Task<IResult> Create(HttpContext http, BazaarDb db, WriteGate gate, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        var result = await GuidesModule.Create(Request(f), db, gate, clock, ct);
        if (Problem(result) is { } problem)
        {
            db.ChangeTracker.Clear();
            return await ListPage(http, db, f, FriendlyProblem(result, problem), StatusOf(result), ct);
        }
        var g = Value<GuideView>(result)!;
        await audit.WriteAsync("guide.create", $"guide:{g.Topic}", null, g, ct);
        return RedirectWith(http, $"/admin/guides/{Uri.EscapeDataString(g.Topic)}", $"Guide \"{g.Topic}\" added: /help shows it now.");
    }

    public static async Task<IResult> Show(string topic, HttpContext http, BazaarDb db, CancellationToken ct) =>
        Value<GuideView>(await GuidesModule.Get(topic, db, ct)) is { } g
            ? GuidePage(http, g, FromView(g), null, 200)
            : Page(http, "No such guide", "guides", $"<p>There is no guide \"{E(topic)}\". <a href=\"/admin/guides\">All guides</a></p>", 404);

    private static IResult GuidePage(HttpContext http, GuideView g, GuideForm f, string? error, int code)
    {
        var sb = new StringBuilder($"<p><a href=\"/admin/guides\">← All guides</a></p><section class=\"card\">{Form(http, g.Topic, f, error)}" +
                                   $"<p class=\"muted small\">Added {Time(g.CreatedAt)} · changed {Time(g.UpdatedAt)}</p></section>");
        if (DashboardAuth.Allows(http.User, DashboardAuth.Manage))
            sb.Append($"<section class=\"card\">{Button(http, $"/admin/guides/{Uri.EscapeDataString(g.Topic)}/delete", "Delete guide", "btn btn-danger", $"Remove \"{g.Topic}\" from /help?")}</section>");
        return Page(http, $"Guide: {g.Topic}", "guides", sb.ToString(), code);
    }

    public static async Task<IResult> Update(string topic, HttpContext http, BazaarDb db, WriteGate gate, TimeProvider clock, AuditLog audit, CancellationToken ct)
    {
        var f = Read(await http.Request.ReadFormOrBadRequestAsync(ct));
        var before = Value<GuideView>(await GuidesModule.Get(topic, db, ct));
        if (before is null) return RedirectWith(http, "/admin/guides", $"There is no guide \"{topic}\".", error: true);
        var result = await GuidesModule.Replace(topic, Request(f), db, gate, clock, ct);
        if (Problem(result) is { } problem)
        {
            db.ChangeTracker.Clear();
            return GuidePage(http, before, f, FriendlyProblem(result, problem), StatusOf(result));
        }
        var after = Value<GuideView>(result)!;
        await audit.WriteAsync("guide.update", $"guide:{topic}", before, after, ct);
        return RedirectWith(http, $"/admin/guides/{Uri.EscapeDataString(after.Topic)}", "Saved: /help shows the new text now.");
    }

    public static async Task<IResult> Delete(string topic, HttpContext http, BazaarDb db, WriteGate gate, AuditLog audit, CancellationToken ct)
    {
        var before = Value<GuideView>(await GuidesModule.Get(topic, db, ct));
        var result = await GuidesModule.Delete(topic, db, gate, ct);
        if (Problem(result) is { } problem) return RedirectWith(http, "/admin/guides", problem, error: true);
        await audit.WriteAsync("guide.delete", $"guide:{topic}", before, null, ct);
        return RedirectWith(http, "/admin/guides", $"Guide \"{topic}\" removed from /help.");
    }

    private static int StatusOf(IResult result) => Inner(result) is ProblemHttpResult { StatusCode: 409 } ? 409 : 422;

    /// <summary>A taken topic says what to do next; other problems are the handler's own words.</summary>
    private static string FriendlyProblem(IResult result, string problem) =>
        Inner(result) is ProblemHttpResult p && p.ProblemDetails.Extensions.TryGetValue("code", out var code) && Equals(code, "guide_exists")
            ? $"{problem} Choose another topic, or open the existing guide to change it."
            : problem;
}
