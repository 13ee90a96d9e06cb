using System.Globalization;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.MiniApp;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

/// <summary>
/// The Mini App as the operator needs to see it: whether Telegram can open it (bot token and public https address),
/// where it lives, what happened to the bot's menu button, and the Development sandbox. The app's settings are
/// configuration (MiniApp:*, Telegram:PublicUrl); the one action here is setting the menu button again.
/// </summary>
internal static class MiniAppPage
{
    public static IResult Show(HttpContext http, IOptions<MiniAppOptions> options, IOptions<TelegramOptions> telegram, MiniAppLinks links,
        MiniAppKey key, MiniAppMenuButton button, MiniAppStartup startup)
    {
        var o = options.Value;
        var url = links.Url;
        var token = key.BotToken is not null;
        var open = token && url is not null;
        var source = !string.IsNullOrWhiteSpace(o.Url) ? "MiniApp:Url" : !string.IsNullOrWhiteSpace(telegram.Value.PublicUrl) ? "Telegram:PublicUrl + /app" : null;
        string Row(string name, string value) => $"<tr><th scope=\"row\">{E(name)}</th><td>{value}</td></tr>";
        var address = url is not null
            ? $"<a href=\"{E(url)}\" rel=\"noopener\" id=\"app-url\">{E(url)}</a> <span class=\"muted small\">from {E(source)}</span>"
            : $"{Badge("NONE")} <span class=\"muted small\">{(source is null
                ? "Set MiniApp:Url, or Telegram:PublicUrl (the app is its /app)."
                : $"{E(source)} is set but is not https; Telegram opens only https addresses.")}</span>";
        var last = button.Last;
        var menu = last is null
            ? "<span class=\"muted\">Not tried since this server started.</span>"
            : $"{Badge(last.Set ? "SET" : "NOT SET")} <span id=\"menu-outcome\">{E(last.Outcome)}</span> <span class=\"muted small\">{Time(last.At)}</span>";
        var sandbox = key.SandboxEnabled
            ? "<a class=\"btn btn-small\" href=\"/app\" id=\"sandbox-link\" target=\"_blank\" rel=\"noopener\">Open the app in the sandbox</a> " +
              "<span class=\"muted small\">Development only: pick a sandbox user there, or open <a href=\"/app?sandbox_user=1001\">/app?sandbox_user=1001</a>.</span>"
            : $"{Badge("OFF")} <span class=\"muted small\">Only in the Development environment (MiniApp:Sandbox=false turns it off there).</span>";

        var body = $"""
            <section class="card">
              <p id="app-state">{(open ? Badge("ACTIVE") + " Customers can open the shop inside Telegram." : Badge("DISABLED") + " Telegram cannot open the app yet: " + E(!token ? "there is no bot token (Telegram:BotToken) to check who is calling." : "it has no public https address."))}</p>
              <div class="scroll"><table class="kv"><tbody>
                {Row("Address Telegram opens", address)}
                {Row("Page on this server", "<a href=\"/app\">/app</a>")}
                {Row("Bot token for initData checks", token ? Badge("OK") : Badge("MISSING") + " <span class=\"muted small\">The app's API answers 503 mini_app_not_configured.</span>")}
                {Row("Signed initData accepted for", $"{o.MaxAgeSeconds.ToString(CultureInfo.InvariantCulture)} s <span class=\"muted small\">MiniApp:MaxAgeSeconds</span>")}
                {Row("Open shop button in /shop", url is not null ? Badge("ON") : Badge("OFF") + " <span class=\"muted small\">shown when the app has a public address</span>")}
                {Row("Set the menu button at start-up", (o.SetMenuButton ? Badge("ON") : Badge("OFF")) + " <span class=\"muted small\">MiniApp:SetMenuButton</span>")}
                {Row("Menu button", menu)}
                {Row("Development sandbox", sandbox)}
              </tbody></table></div>
              {(DashboardAuth.Allows(http.User, DashboardAuth.Manage) && url is not null && telegram.Value.EffectiveMode != TelegramMode.Off
                  ? Button(http, "/admin/mini-app/menu-button", "Set the menu button now", "btn", $"Make the bot's menu button open {url}?")
                  : "")}
            </section>
            <section class="card"><h2>Activity</h2>
              <p class="muted" id="activity">Reservations, orders and payments do not record whether they were made in the chat or in the Mini App, so there is no
              app-only activity to show. Every order is under <a href="/admin/shop/orders">Shop orders</a> and every payment under <a href="/admin/payments">Payments</a>.</p>
            </section>
            """;
        return Page(http, "Mini App", "mini-app", body);
    }

    public static async Task<IResult> SetMenuButton(HttpContext http, MiniAppLinks links, IOptions<TelegramOptions> telegram, MiniAppMenuButton button,
        MiniAppStartup startup, AuditLog audit, CancellationToken ct)
    {
        if (links.Url is null || telegram.Value.EffectiveMode == TelegramMode.Off)
            return RedirectWith(http, "/admin/mini-app", "The app needs Telegram on and a public https address before the menu button can open it.", error: true);
        var before = button.Last;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await startup.ConfigureAsync(timeout.Token);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            await audit.WriteAsync("mini_app.menu_button", "mini_app", before, button.Last, ct);
            return RedirectWith(http, "/admin/mini-app", button.Last?.Outcome ?? "Telegram did not set the menu button.", error: true);
        }
        await audit.WriteAsync("mini_app.menu_button", "mini_app", before, button.Last, ct);
        return RedirectWith(http, "/admin/mini-app", "The bot's menu button opens the Mini App now.");
    }
}
