using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.MiniApp;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Location = Bazaar.Server.Shop.Location;

namespace Bazaar.Tests.MiniApp;

/// <summary>The server in Development, where the Mini App's sandbox and the chat sandbox are on; on a loopback port for Chromium.</summary>
public sealed class MiniAppDevelopmentFactory : MiniAppAppFactory
{
    public MiniAppDevelopmentFactory()
    {
        With("environment", "Development");
        With("Sandbox:Enabled", "true");
        UseKestrel(0);
    }

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

/// <summary>Production, with someone having switched the Mini App sandbox "on" in its settings.</summary>
public sealed class MiniAppProductionFactory : MiniAppAppFactory
{
    public MiniAppProductionFactory()
    {
        With("environment", "Production");
        With("MiniApp:Sandbox", "true");
    }
}

public static class MiniAppChat
{
    public static Task<long> CityAsync(AppFactory app) => app.WithDb(async db =>
    {
        var city = new Location { Name = "Porto " + Guid.NewGuid().ToString("N")[..4] };
        db.ShopLocations.Add(city);
        await db.SaveChangesAsync();
        return city.Id;
    });

    /// <summary>The web_app buttons (text, url) of a bot message's inline keyboard.</summary>
    public static List<(string Text, string Url)> WebApps(JsonNode? markup) =>
        (markup?["inline_keyboard"]?.AsArray() ?? []).SelectMany(r => r!.AsArray())
            .Where(b => b!["web_app"] is not null).Select(b => (b!["text"]!.GetValue<string>(), b["web_app"]!["url"]!.GetValue<string>())).ToList();
}

/// <summary>The bot's side: the menu button and /shop's "Open shop", against the fake Bot API.</summary>
public sealed class MiniAppBotTests(MiniAppAppFactory app) : IClassFixture<MiniAppAppFactory>
{
    [Fact]
    public void At_start_up_the_chat_menu_button_opens_the_app_through_the_configured_Bot_API()
    {
        var call = Assert.Single(app.Bot.CallsOf("setChatMenuButton"));
        var button = call.Parameters["menu_button"]!;
        Assert.Equal("web_app", button["type"]!.GetValue<string>());
        Assert.Equal(MiniAppAppFactory.PublicUrl + "/app", button["web_app"]!["url"]!.GetValue<string>());
        Assert.Equal("Shop", button["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task Shop_offers_Open_shop_as_a_web_app_button_beside_the_chat_flow_in_the_users_language()
    {
        var city = await MiniAppChat.CityAsync(app);
        foreach (var (lang, text) in new[] { ("en", "🛍 Open shop"), ("ru", "🛍 Открыть магазин") })
        {
            var user = Updates.NewUserId();
            var update = Updates.Text(user, "/shop");
            update["message"]!["from"]!["language_code"] = lang;
            await app.Send(update);
            var sent = (await app.OutboxFor(user)).Last(m => m.Method == "sendMessage");
            var markup = JsonNode.Parse(sent.Payload)!["reply_markup"];
            Assert.Equal([(text, MiniAppAppFactory.PublicUrl + "/app")], MiniAppChat.WebApps(markup));
            Assert.Contains($"shop:c:{city}", Bazaar.Tests.Shop.ShopTestData.Buttons(sent.Payload)); // the chat flow is still there
        }
    }

    [Fact]
    public async Task Without_a_public_https_address_there_is_no_menu_button_and_no_Open_shop()
    {
        var plain = new MiniAppAppFactory();
        plain.With("Telegram:PublicUrl", "http://shop.example.test"); // Telegram opens only https
        await plain.InitializeAsync();
        try
        {
            await MiniAppChat.CityAsync(plain);
            Assert.Empty(plain.Bot.CallsOf("setChatMenuButton"));
            var user = Updates.NewUserId();
            await plain.Send(Updates.Text(user, "/shop"));
            var sent = (await plain.OutboxFor(user)).Last(m => m.Method == "sendMessage");
            Assert.Empty(MiniAppChat.WebApps(JsonNode.Parse(sent.Payload)!["reply_markup"]));
            Assert.NotEmpty(Bazaar.Tests.Shop.ShopTestData.Buttons(sent.Payload));
        }
        finally { await ((IAsyncLifetime)plain).DisposeAsync(); }
    }
}

/// <summary>The Development sandbox: signing as a chosen sandbox user, safely, and the chat sandbox's Open shop.</summary>
public sealed class MiniAppSandboxTests(MiniAppDevelopmentFactory app) : IClassFixture<MiniAppDevelopmentFactory>
{
    private async Task<string> SignAsync(long userId)
    {
        var r = await app.CreateClient().PostAsJsonAsync("/api/v1/app/sandbox/sign", new { userId });
        Assert.Equal(200, (int)r.StatusCode);
        return (await r.ReadJson()).GetProperty("initData").GetString()!;
    }

    [Fact]
    public async Task The_sandbox_signs_as_a_sandbox_user_whose_initData_never_passes_as_a_Telegram_user()
    {
        var info = await (await app.CreateClient().GetAsync("/api/v1/app/sandbox")).ReadJson();
        Assert.True(info.GetProperty("enabled").GetBoolean());
        Assert.NotEmpty(info.GetProperty("users").EnumerateArray());

        var id = Updates.NewUserId();
        var initData = await SignAsync(id);
        var c = app.CreateClient();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("tma", initData);
        var me = await (await c.GetAsync("/api/v1/app/me")).ReadJson();
        var user = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == me.GetProperty("userId").GetInt64()));
        Assert.Equal((ChatChannel.Sandbox, id.ToString()), (user.Channel, user.ExternalId));

        // Signed with the sandbox's own key, not the bot token: no server holding the token takes it as Telegram's.
        Assert.Equal(InitData.Tampered, InitData.Validate(initData, TestInitData.BotToken, app.Clock.GetUtcNow().UtcDateTime, TimeSpan.FromHours(1)).Error);
        // And Telegram's initData for the same id is that Telegram user, a different customer.
        var tgMe = await (await app.As(id).GetAsync("/api/v1/app/me")).ReadJson();
        Assert.NotEqual(user.Id, tgMe.GetProperty("userId").GetInt64());
        Assert.Equal(ChatChannel.Telegram, (await app.UserOf(id)).Channel);

        await (await app.CreateClient().PostAsJsonAsync("/api/v1/app/sandbox/sign", new { userId = 0 })).AssertProblem(400, "invalid_user");
    }

    [Fact]
    public async Task In_the_chat_sandbox_Shop_offers_Open_shop_that_opens_the_app_as_the_same_sandbox_user()
    {
        await MiniAppChat.CityAsync(app);
        var id = Updates.NewUserId();
        var shop = Updates.Text(id, "/shop");
        shop["message"]!["from"]!["first_name"] = "Sandra";
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", shop.ToJsonString());
        Assert.Equal(200, (int)r.StatusCode);
        var reply = await r.ReadJson();
        var markup = reply.GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("method").GetString() == "sendMessage").GetProperty("replyMarkup");
        var url = Assert.Single(MiniAppChat.WebApps(JsonNode.Parse(markup.GetRawText()))).Url;
        Assert.Equal($"/app?sandbox_user={id}", url);

        var (playwright, browser) = await MiniAppBrowserTests.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var (page, outside) = await MiniAppBrowserTests.OpenAtAsync(browser, app.BaseUrl, app.Clock.GetUtcNow(), id, inTelegram: false, path: url);
        await Assertions.Expect(page.Locator("#sandbox-badge")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#me-name")).ToHaveTextAsync("Sandra"); // the chat sandbox user's own name
        await Assertions.Expect(page.Locator("#f-city")).ToBeVisibleAsync();
        var chatUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == id.ToString()));
        Assert.Equal(chatUser.Id, await page.EvaluateAsync<long>(
            "async () => (await (await fetch('/api/v1/app/me', { headers: { Authorization: 'tma ' + (await (await fetch('/api/v1/app/sandbox/sign', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: " + id + " }) })).json()).initData } })).json()).userId"));
        await page.ClickAsync("#tabs button[data-tab=wallet]");
        await Assertions.Expect(page.Locator("#page-main")).ToBeHiddenAsync();
        await page.ClickAsync("#tabs button[data-tab=friends]");
        await Assertions.Expect(page.Locator("#page-main")).ToHaveTextAsync("Share the link"); // the page draws Telegram's main button itself
        await page.ScreenshotAsync(new() { Path = Path.Combine(MiniAppBrowserTests.Shots(), "sandbox-friends.png") });
        Assert.Equal(["https://telegram.org/js/telegram-web-app.js"], outside);

        // Without a chosen user the page offers the sample sandbox users.
        var (chooser, _) = await MiniAppBrowserTests.OpenAtAsync(browser, app.BaseUrl, app.Clock.GetUtcNow(), id, inTelegram: false);
        await chooser.EvaluateAsync("() => sessionStorage.clear()");
        await chooser.ReloadAsync();
        await Assertions.Expect(chooser.Locator("#sandbox")).ToBeVisibleAsync();
        await Assertions.Expect(chooser.Locator("#sandbox-users button").First).ToHaveTextAsync("Alice · 1001");
    }
}

/// <summary>Production never signs, whatever MiniApp:Sandbox says.</summary>
public sealed class MiniAppProductionTests(MiniAppProductionFactory app) : IClassFixture<MiniAppProductionFactory>
{
    [Fact]
    public async Task Outside_Development_the_sandbox_is_off_even_when_configured_on()
    {
        await (await app.CreateClient().GetAsync("/api/v1/app/sandbox")).AssertProblem(404, "not_found");
        await (await app.CreateClient().PostAsJsonAsync("/api/v1/app/sandbox/sign", new { userId = 1001 })).AssertProblem(404, "not_found");
        Assert.False(app.Services.GetRequiredService<MiniAppKey>().SandboxEnabled);
        Assert.Null(app.Services.GetRequiredService<MiniAppKey>().SandboxKey);
        // Telegram's own initData still works.
        Assert.Equal(200, (int)(await app.As(Updates.NewUserId()).GetAsync("/api/v1/app/me")).StatusCode);
    }
}
