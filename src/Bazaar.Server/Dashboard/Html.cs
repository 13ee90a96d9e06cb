using System.Net;
using System.Security.Claims;
using System.Text;
using Bazaar.Server.Admin;
using Microsoft.AspNetCore.Antiforgery;

namespace Bazaar.Server.Dashboard;

/// <summary>The dashboard's page frame and small HTML helpers. Everything user-supplied goes through <see cref="E"/>.</summary>
internal static class Html
{
    private const string FlashCookie = "bz_flash";

    public static string E(object? value) => WebUtility.HtmlEncode(value?.ToString() ?? "");

    public static string Csrf(HttpContext http)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    /// <summary>A one-button POST form (with its anti-forgery token).</summary>
    public static string Button(HttpContext http, string action, string label, string css = "btn", string? confirm = null, string extra = "") =>
        $"<form method=\"post\" action=\"{E(action)}\" class=\"inline\"{(confirm is null ? "" : $" onsubmit=\"return confirm('{E(confirm)}')\"")}>" +
        Csrf(http) + extra + $"<button class=\"{css}\" type=\"submit\">{E(label)}</button></form>";

    /// <summary>A message shown once on the next page (post/redirect/get).</summary>
    public static IResult RedirectWith(HttpContext http, string url, string message, bool error = false)
    {
        http.Response.Cookies.Append(FlashCookie, (error ? "!" : "") + message,
            new CookieOptions { Path = "/admin", HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true });
        return Results.Redirect(url);
    }

    private static string TakeFlash(HttpContext http)
    {
        if (!http.Request.Cookies.TryGetValue(FlashCookie, out var v) || string.IsNullOrEmpty(v)) return "";
        http.Response.Cookies.Delete(FlashCookie, new CookieOptions { Path = "/admin" });
        var error = v.StartsWith('!');
        return $"<div class=\"flash {(error ? "flash-error" : "flash-ok")}\" role=\"status\">{E(error ? v[1..] : v)}</div>";
    }

    public static string Badge(string? status)
    {
        var s = (status ?? "").ToUpperInvariant();
        var kind = s switch
        {
            "COMPLETED" or "DONE" or "SENT" or "OK" or "ACTIVE" or "REFUNDED" or "PAID" or "PUBLISHED" or "DRAWN" or "WON" or "AVAILABLE" or "DELIVERED" or "POSTED" or "SET" or "ON" => "ok",
            "PENDING" or "QUEUED" or "PROCESSING" or "REFUNDING" or "RECEIVED" or "RETRY" or "PENDING_PAYMENT" or "RESERVED" or "DRAFT" or "CLOSED" or "RUNNING" or "PAUSED" or "SCHEDULED" or "SENDING" => "warn",
            "FAILED" or "DEAD" or "ERROR" or "DISABLED" or "BLOCKED" or "LOCKED" or "SOLD OUT" or "CANCELLED" or "EXPIRED" or "INACTIVE" or "NOT SET" or "MISSING" or "NONE" => "bad",
            _ => "muted",
        };
        return $"<span class=\"badge badge-{kind}\">{E(s)}</span>";
    }

    public static string Time(DateTime? t) => t is { } v ? $"<time datetime=\"{v:O}\">{v:yyyy-MM-dd HH:mm}</time>" : "—";

    public static string Pager(HttpRequest req, int page, int pageSize, int total)
    {
        var pages = Math.Max(1, (total + pageSize - 1) / pageSize);
        if (pages <= 1) return $"<p class=\"muted\">{total} in all</p>";
        string Link(int p, string label)
        {
            var q = req.Query.Where(kv => kv.Key != "page").Select(kv => $"{Uri.EscapeDataString(kv.Key)}={Uri.EscapeDataString(kv.Value.ToString())}")
                .Append($"page={p}");
            return $"<a class=\"btn btn-small\" href=\"{E(req.Path + "?" + string.Join("&", q))}\">{label}</a>";
        }
        return $"<nav class=\"pager\">{(page > 1 ? Link(page - 1, "← Newer") : "")}<span class=\"muted\">page {page} of {pages} · {total} in all</span>{(page < pages ? Link(page + 1, "Older →") : "")}</nav>";
    }

    public sealed record NavItem(string Key, string Href, string Label, string Policy);

    public static readonly NavItem[] Nav =
    [
        new("overview", "/admin", "Overview", DashboardAuth.Any),
        new("payments", "/admin/payments", "Payments", DashboardAuth.Any),
        new("shop", "/admin/shop", "Shop", DashboardAuth.Any),
        new("raffles", "/admin/raffles", "Raffles", DashboardAuth.Any),
        new("giveaways", "/admin/giveaways", "Giveaways", DashboardAuth.Any),
        new("checks", "/admin/checks", "Checks", DashboardAuth.Any),
        new("users", "/admin/users", "Users", DashboardAuth.Any),
        new("mini-app", "/admin/mini-app", "Mini App", DashboardAuth.Any),
        new("broadcasts", "/admin/broadcasts", "Broadcasts", DashboardAuth.Any),
        new("channel-posts", "/admin/channel-posts", "Channel posts", DashboardAuth.Any),
        new("guides", "/admin/guides", "Guides", DashboardAuth.Any),
        new("events", "/admin/events", "Event log", DashboardAuth.Any),
        new("jobs", "/admin/jobs", "Jobs", DashboardAuth.Any),
        new("outbox", "/admin/outbox", "Outbox", DashboardAuth.Any),
        new("audit", "/admin/audit", "Audit log", DashboardAuth.Manage),
        new("settings", "/admin/settings", "Settings", DashboardAuth.Owner),
    ];

    public static IResult Page(HttpContext http, string title, string active, string body, int status = 200)
    {
        var user = http.User;
        var signedIn = user.Identity?.IsAuthenticated == true && user.Identity.AuthenticationType == DashboardAuth.Scheme;
        var nav = new StringBuilder();
        if (signedIn)
        {
            foreach (var n in Nav.Where(n => DashboardAuth.Allows(user, n.Policy)))
                nav.Append($"<a href=\"{n.Href}\"{(n.Key == active ? " class=\"active\" aria-current=\"page\"" : "")}>{E(n.Label)}</a>");
        }
        var who = signedIn
            ? $"<span class=\"who\">{E(user.Identity!.Name)} <span class=\"badge badge-muted\">{E(user.FindFirstValue(ClaimTypes.Role))}</span></span>" +
              Button(http, "/admin/signout", "Sign out", "btn btn-small")
            : "";
        var html = $$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width,initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>{{E(title)}} · Bazaar</title>
            <link rel="stylesheet" href="/admin/assets/dashboard.css">
            <script>try{var t=localStorage.getItem('bz-theme');if(t)document.documentElement.dataset.theme=t;}catch(e){}</script>
            <script src="/admin/assets/htmx.min.js" defer></script>
            <script src="/admin/assets/chart.umd.min.js" defer></script>
            <script src="/admin/assets/dashboard.js" defer></script>
            </head>
            <body>
            <header class="top">
              <a class="brand" href="/admin">🛍️ Bazaar</a>
              {{(signedIn ? "<button class=\"btn btn-small menu-toggle\" type=\"button\" aria-controls=\"nav\" aria-expanded=\"false\">☰ Menu</button>" : "")}}
              <nav id="nav" class="nav">{{nav}}</nav>
              <div class="right">
                <button class="btn btn-small" type="button" id="theme-toggle" title="Light or dark">◐ Theme</button>
                {{who}}
              </div>
            </header>
            <main>
            {{TakeFlash(http)}}
            <h1>{{E(title)}}</h1>
            {{body}}
            </main>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}
