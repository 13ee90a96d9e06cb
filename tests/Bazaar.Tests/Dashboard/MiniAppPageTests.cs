using System.Net;
using Bazaar.Server.Admin;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>The dashboard server in Development with a public https address: the Mini App is open, its sandbox on.</summary>
public sealed class MiniAppDashboardFactory : DashboardAppFactory
{
    public const string PublicUrl = "https://shop.example.test";

    public MiniAppDashboardFactory()
    {
        With("Telegram:PublicUrl", PublicUrl);
        With("environment", "Development");
    }
}

/// <summary>The Mini App page where Telegram can open the app: its address, the menu button set at start-up and again on request.</summary>
public sealed class MiniAppPageTests(MiniAppDashboardFactory app) : IClassFixture<MiniAppDashboardFactory>
{
    [Fact]
    public async Task The_page_shows_the_open_app_and_the_menu_button_set_at_start_up_then_a_manager_sets_it_again_and_a_refusal_is_shown_and_audited()
    {
        var html = await (await (await app.SignedIn(OperatorRoles.Support)).GetAsync("/admin/mini-app")).Content.ReadAsStringAsync();
        Assert.Contains("badge-ok\">ACTIVE</span> Customers can open the shop inside Telegram", html);
        Assert.Contains($"id=\"app-url\">{MiniAppDashboardFactory.PublicUrl}/app</a>", html);
        Assert.Contains("from Telegram:PublicUrl + /app", html);
        Assert.Contains("badge-ok\">SET", html); // the start-up call reached the (fake) Bot API
        Assert.NotEmpty(app.Bot.CallsOf("setChatMenuButton"));
        Assert.Contains("id=\"sandbox-link\"", html);
        Assert.Contains("do not record whether they were made in the chat or in the Mini App", html);
        Assert.DoesNotContain("/admin/mini-app/menu-button", html); // support only reads

        // One test, in order: the button's state is the server's, and a refusal below changes it.
        var c = await app.SignedIn(OperatorRoles.Manager);
        Assert.Contains("/admin/mini-app/menu-button", await (await c.GetAsync("/admin/mini-app")).Content.ReadAsStringAsync());
        var before = app.Bot.CallsOf("setChatMenuButton").Count();
        var ok = await DashboardTestData.PostForm(c, "/admin/mini-app/menu-button", tokenPage: "/admin/mini-app");
        Assert.Contains("opens the Mini App now", await DashboardTestData.FlashOrError(c, ok));
        var call = app.Bot.CallsOf("setChatMenuButton").Skip(before).Single();
        Assert.Equal($"{MiniAppDashboardFactory.PublicUrl}/app", call.Parameters["menu_button"]!["web_app"]!["url"]!.GetValue<string>());

        app.Bot.FailNext("setChatMenuButton", 400, "Bad Request: not enough rights");
        var refused = await DashboardTestData.PostForm(c, "/admin/mini-app/menu-button", tokenPage: "/admin/mini-app");
        Assert.Contains("not enough rights", await DashboardTestData.FlashOrError(c, refused));
        Assert.Contains("badge-bad\">NOT SET", await (await c.GetAsync("/admin/mini-app")).Content.ReadAsStringAsync());

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Action == "mini_app.menu_button").OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(2, audit.Count);
        Assert.Contains("\"set\":true", audit[0].After);
        Assert.Contains("\"set\":false", audit[1].After);
    }
}

/// <summary>The Mini App page where the app has no public address (the plain dashboard server, not Development).</summary>
public sealed class MiniAppPageClosedTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    [Fact]
    public async Task Without_a_public_address_the_page_says_what_is_missing_and_offers_no_menu_button_action()
    {
        var c = await app.SignedIn(OperatorRoles.Owner);
        var r = await c.GetAsync("/admin/mini-app");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var html = await r.Content.ReadAsStringAsync();
        Assert.Contains("badge-bad\">DISABLED</span> Telegram cannot open the app yet: it has no public https address", html);
        Assert.Contains("Set MiniApp:Url, or Telegram:PublicUrl", html);
        Assert.Contains("Not set at start-up: The app has no public https address", html);
        Assert.Contains("Only in the Development environment", html);
        Assert.DoesNotContain("id=\"sandbox-link\"", html);
        Assert.DoesNotContain("Set the menu button now", html);
        Assert.Empty(app.Bot.CallsOf("setChatMenuButton"));
        var refused = await DashboardTestData.PostForm(c, "/admin/mini-app/menu-button", tokenPage: "/admin/mini-app");
        Assert.StartsWith("!The app needs Telegram on and a public https address", await DashboardTestData.FlashOrError(c, refused));
    }
}
