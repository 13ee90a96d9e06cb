using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Data;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Shop;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Location = Bazaar.Server.Shop.Location;

namespace Bazaar.Tests.MiniApp;

/// <summary>The Mini App's server on a real loopback port, for Chromium.</summary>
public sealed class MiniAppBrowserFactory : MiniAppAppFactory
{
    public MiniAppBrowserFactory() => UseKestrel(0);

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

/// <summary>
/// The page in headless Chromium on a phone-sized screen, inside a stubbed Telegram: window.Telegram.WebApp carries
/// initData signed by the test (as Telegram would sign it), the theme parameters, and draws the main and back buttons
/// where Telegram would. Telegram's own script is blocked, as is every request beyond this server.
/// </summary>
public sealed class MiniAppBrowserTests(MiniAppBrowserFactory app) : IClassFixture<MiniAppBrowserFactory>
{
    private static readonly Dictionary<string, string> Light = new()
    {
        ["bg_color"] = "#ffffff", ["text_color"] = "#000000", ["hint_color"] = "#999999", ["link_color"] = "#2481cc",
        ["button_color"] = "#2481cc", ["button_text_color"] = "#ffffff", ["secondary_bg_color"] = "#efeff3",
    };
    private static readonly Dictionary<string, string> Dark = new()
    {
        ["bg_color"] = "#212d3b", ["text_color"] = "#ffffff", ["hint_color"] = "#aaaaaa", ["link_color"] = "#62bcf9",
        ["button_color"] = "#50a8eb", ["button_text_color"] = "#ffffff", ["secondary_bg_color"] = "#151e27",
    };

    /// <summary>Telegram.WebApp as the clients provide it, reduced to what a Mini App calls; Telegram's native buttons drawn in the page.</summary>
    private const string TelegramStub = """
        (cfg) => {
          window.__tg = { invoices: [], links: [], telegramLinks: [] };
          const button = (id, css) => {
            const b = { text: "", isVisible: false, isActive: true, handlers: [] };
            const draw = () => {
              let e = document.getElementById(id);
              if (!e) {
                if (!document.body) { document.addEventListener("DOMContentLoaded", draw, { once: true }); return; }
                e = document.createElement("button"); e.id = id; e.style.cssText = css;
                e.addEventListener("click", () => b.isActive && b.handlers.slice().forEach((f) => f()));
                document.body.appendChild(e);
              }
              e.textContent = b.text || "‹"; e.style.display = b.isVisible ? "block" : "none";
              e.style.background = cfg.theme.button_color; e.style.color = cfg.theme.button_text_color;
              e.disabled = !b.isActive;
            };
            Object.assign(b, {
              setText(t) { b.text = t; draw(); return b; }, show() { b.isVisible = true; draw(); return b; }, hide() { b.isVisible = false; draw(); return b; },
              enable() { b.isActive = true; draw(); return b; }, disable() { b.isActive = false; draw(); return b; },
              showProgress() { return b; }, hideProgress() { return b; }, setParams(p) { Object.assign(b, p); draw(); return b; },
              onClick(f) { b.handlers.push(f); return b; }, offClick(f) { b.handlers = b.handlers.filter((x) => x !== f); return b; },
            });
            return b;
          };
          window.Telegram = { WebApp: {
            initData: cfg.initData, initDataUnsafe: { user: cfg.user, auth_date: cfg.authDate }, version: "8.0", platform: "android",
            colorScheme: cfg.scheme, themeParams: cfg.theme, isExpanded: true,
            ready() {}, expand() {}, close() {}, onEvent() {}, offEvent() {},
            MainButton: button("tg-main-button", "position:fixed;left:0;right:0;bottom:0;height:56px;border:0;font:600 16px sans-serif;z-index:99"),
            BackButton: button("tg-back-button", "position:fixed;bottom:66px;left:8px;width:34px;height:34px;border-radius:50%;border:0;font:24px sans-serif;z-index:99"),
            HapticFeedback: { notificationOccurred() {}, impactOccurred() {}, selectionChanged() {} },
            openInvoice(url, cb) { window.__tg.invoices.push(url); window.__tg.invoiceCallback = cb; },
            openLink(url) { window.__tg.links.push(url); }, openTelegramLink(url) { window.__tg.telegramLinks.push(url); },
            showAlert(m, cb) { cb && cb(); },
          } };
        }
        """;

    internal static async Task<(IPlaywright, IBrowser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return (playwright, browser);
    }

    /// <summary>A phone (390×844) inside the stubbed Telegram as this user; requests beyond the server are refused and listed.</summary>
    private async Task<(IPage Page, List<string> Outside)> OpenAsync(IBrowser browser, long telegramId, ColorScheme scheme = ColorScheme.Light,
        string firstName = "Alice", bool inTelegram = true) => await OpenAtAsync(browser, app.BaseUrl, app.Clock.GetUtcNow(), telegramId, scheme, firstName, inTelegram);

    internal static async Task<(IPage Page, List<string> Outside)> OpenAtAsync(IBrowser browser, string baseUrl, DateTimeOffset now, long telegramId,
        ColorScheme scheme = ColorScheme.Light, string firstName = "Alice", bool inTelegram = true, string path = "/app")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 390, Height = 844 }, DeviceScaleFactor = 2, IsMobile = true, HasTouch = true, ColorScheme = scheme,
        });
        var outside = new List<string>();
        await context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (url.Host == "127.0.0.1") { await route.ContinueAsync(); return; }
            lock (outside) outside.Add(route.Request.Url);
            await route.AbortAsync();
        });
        var page = await context.NewPageAsync();
        var cfg = new
        {
            initData = TestInitData.For(telegramId, now, firstName),
            user = new { id = telegramId, first_name = firstName },
            authDate = now.ToUnixTimeSeconds(),
            scheme = scheme == ColorScheme.Dark ? "dark" : "light",
            theme = scheme == ColorScheme.Dark ? Dark : Light,
        };
        if (inTelegram) await page.AddInitScriptAsync($"({TelegramStub})({JsonSerializer.Serialize(cfg)})");
        await page.GotoAsync(baseUrl + path);
        return (page, outside);
    }

    internal static string Shots()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bazaar.slnx"))) dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "miniapp");
        Directory.CreateDirectory(path);
        return path;
    }

    private async Task<(long City, long Alfama, long Baixa, long Category, string CityName)> CatalogAsync() =>
        await app.WithDb(async db =>
        {
            var tag = Guid.NewGuid().ToString("N")[..4];
            var city = new Location { Name = "Lisbon " + tag };
            db.ShopLocations.Add(city);
            await db.SaveChangesAsync();
            var alfama = new Location { Name = "Alfama", ParentId = city.Id };
            var baixa = new Location { Name = "Baixa", ParentId = city.Id };
            var category = new Category { Name = "Lamps " + tag };
            db.ShopLocations.AddRange(alfama, baixa);
            db.ShopCategories.Add(category);
            await db.SaveChangesAsync();
            return (city.Id, alfama.Id, baixa.Id, category.Id, city.Name);
        });

    private static Action<Product> Named(string name, uint color) => p =>
    {
        p.Name = name;
        p.Description = "Hand-made in Lisbon. Warm light, brass base.";
        p.Photos.Add(new ProductPhoto { ContentType = "image/png", Content = DemoPng.Make(320, 240, color, 3) });
    };

    [Fact]
    public async Task A_customer_browses_filters_reserves_pays_from_the_wallet_and_sees_the_order_and_new_balance_in_light_and_dark()
    {
        var (city, alfama, baixa, category, cityName) = await CatalogAsync();
        var lamp = await ShopTestData.ProductAsync(app, 2, price: 20_00, discount: 25, location: alfama, category: category,
            configure: Named("Blue lamp", 0x3366aa));
        await ShopTestData.ProductAsync(app, 3, price: 5_00, location: baixa, configure: Named("Red chair", 0xaa3333));
        await ShopTestData.ProductAsync(app, 1, price: 7_50, location: alfama, category: category, configure: Named("Green lamp", 0x33aa55));
        await ShopTestData.ProductAsync(app, 1, price: 9_00, configure: Named("Elsewhere vase", 0x888888));
        var tg = Updates.NewUserId();
        await app.As(tg).GetAsync("/api/v1/app/me");
        var user = await app.UserOf(tg);
        await ShopTestData.FundAsync(app, user.Id, 50_00);

        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var (page, outside) = await OpenAsync(browser, tg);
        var shots = Shots();

        await Assertions.Expect(page.Locator("#me-name")).ToHaveTextAsync("Alice");
        await Assertions.Expect(page.Locator("#balance-chip")).ToHaveTextAsync("50.00 USD");

        // Filters: the city, then a district, a category and a search, each narrowing the cards.
        var cards = page.Locator("#products .product");
        await page.SelectOptionAsync("#f-city", new SelectOptionValue { Label = cityName });
        await Assertions.Expect(cards).ToHaveCountAsync(3);
        await page.SelectOptionAsync("#f-district", new SelectOptionValue { Label = "Baixa" });
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        await Assertions.Expect(cards.First).ToContainTextAsync("Red chair");
        await page.SelectOptionAsync("#f-district", new SelectOptionValue { Label = "Alfama" });
        await page.SelectOptionAsync("#f-category", new SelectOptionValue { Value = category.ToString() });
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        await page.FillAsync("#f-search", "blue");
        await Assertions.Expect(cards).ToHaveCountAsync(1);
        var card = cards.First;
        await Assertions.Expect(card.Locator(".name")).ToHaveTextAsync("Blue lamp");
        await Assertions.Expect(card.Locator(".price s")).ToHaveTextAsync("20.00 USD");
        await Assertions.Expect(card.Locator(".price b")).ToHaveTextAsync("15.00 USD");
        await Assertions.Expect(card.Locator(".price .off")).ToHaveTextAsync("-25%");
        await Assertions.Expect(card.Locator("img.photo")).ToHaveJSPropertyAsync("complete", true);
        Assert.True(await card.Locator("img.photo").EvaluateAsync<int>("i => i.naturalWidth") > 0); // the stored photo loaded
        await page.FillAsync("#f-search", "");
        await Assertions.Expect(cards).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "catalog-light.png") });

        // The card, then Telegram's main button reserves it; the back button is shown.
        await cards.Filter(new() { HasText = "Blue lamp" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-view=product] h1")).ToHaveTextAsync("Blue lamp");
        var main = page.Locator("#tg-main-button");
        await Assertions.Expect(main).ToHaveTextAsync("Reserve");
        await Assertions.Expect(page.Locator("#tg-back-button")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "product-light.png") });
        await main.ClickAsync();

        await Assertions.Expect(page.Locator("#countdown")).ToHaveTextAsync(new Regex("^1[45]:[0-5][0-9]$"));
        await Assertions.Expect(main).ToHaveTextAsync("Pay 15.00 USD from wallet");
        await Assertions.Expect(page.Locator("#pay-stars")).ToHaveTextAsync("Pay ⭐ 750");
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "reservation-light.png") });
        Assert.Equal(1, await app.WithDb(db => db.Reservations.CountAsync(r => r.UserId == user.Id && r.ProductId == lamp.Id && r.Status == ReservationStatus.Active)));
        await main.ClickAsync();

        await Assertions.Expect(page.Locator("#order-paid")).ToContainTextAsync("is paid");
        await Assertions.Expect(page.Locator("[data-view=order] .secret")).ToHaveTextAsync(new Regex($"^KEY-{lamp.Id}-[01]$"));
        await Assertions.Expect(page.Locator("#balance-chip")).ToHaveTextAsync("35.00 USD");
        var order = await app.WithDb(db => db.Orders.AsNoTracking().SingleAsync(o => o.UserId == user.Id));
        Assert.Equal(lamp.Id, order.ProductId);
        Assert.Equal(15_00, order.FinalPrice);

        await page.ClickAsync("#tabs button[data-tab=orders]");
        var listed = page.Locator($"[data-view=orders] [data-order='{order.Id}']");
        await Assertions.Expect(listed).ToContainTextAsync("Blue lamp");
        await Assertions.Expect(listed.Locator(".price s")).ToHaveTextAsync("20.00 USD");
        await Assertions.Expect(listed.Locator(".secret")).ToHaveTextAsync(new Regex($"^KEY-{lamp.Id}-"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(shots, "orders-light.png") });
        await page.ClickAsync("#tabs button[data-tab=wallet]");
        await Assertions.Expect(page.Locator(".balance[data-currency=USD]")).ToHaveTextAsync("35.00 USD");

        // The referral link is shared through Telegram's share sheet.
        await page.ClickAsync("#tabs button[data-tab=friends]");
        await Assertions.Expect(page.Locator("#ref-link")).ToContainTextAsync("https://t.me/bazaar_test_bot?start=ref_");
        await main.ClickAsync();
        var shared = await page.EvaluateAsync<string[]>("() => window.__tg.telegramLinks");
        Assert.StartsWith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fbazaar_test_bot%3Fstart%3Dref_", Assert.Single(shared));

        // Nothing but Telegram's own script was asked for beyond this server.
        Assert.All(outside, u => Assert.Equal("https://telegram.org/js/telegram-web-app.js", u));

        // The dark theme: Telegram's parameters colour the page.
        var (dark, _) = await OpenAsync(browser, tg, ColorScheme.Dark);
        await Assertions.Expect(dark.Locator("#balance-chip")).ToHaveTextAsync("35.00 USD");
        await dark.SelectOptionAsync("#f-city", new SelectOptionValue { Label = cityName });
        await Assertions.Expect(dark.Locator("#products .product")).ToHaveCountAsync(3);
        Assert.Equal("rgb(21, 30, 39)", await dark.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        Assert.Equal("rgb(33, 45, 59)", await dark.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.product')).backgroundColor"));
        await dark.ScreenshotAsync(new() { Path = Path.Combine(shots, "catalog-dark.png") });
        await dark.ClickAsync("#tabs button[data-tab=orders]");
        await Assertions.Expect(dark.Locator($"[data-view=orders] [data-order='{order.Id}']")).ToBeVisibleAsync();
        await dark.ScreenshotAsync(new() { Path = Path.Combine(shots, "orders-dark.png") });
        Assert.Equal("rgb(255, 255, 255)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body.querySelector('.card')).backgroundColor"));
    }

    [Fact]
    public async Task The_app_and_the_chat_flow_race_for_the_last_unit_and_it_sells_once()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        for (var round = 0; round < 3; round++)
        {
            var name = $"Last lamp {Guid.NewGuid():N}"[..16];
            var product = await ShopTestData.ProductAsync(app, 1, price: 10_00, configure: p => p.Name = name);
            var appTg = Updates.NewUserId();
            await app.As(appTg).GetAsync("/api/v1/app/me");
            await ShopTestData.FundAsync(app, (await app.UserOf(appTg)).Id, 10_00);
            var chatTg = Updates.NewUserId();
            await app.Send(Updates.Text(chatTg, "/start"));
            var chatUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Telegram && u.ExternalId == chatTg.ToString()));
            await ShopTestData.FundAsync(app, chatUser.Id, 10_00);

            var (page, _) = await OpenAsync(browser, appTg);
            await page.FillAsync("#f-search", name);
            await Assertions.Expect(page.Locator("#products .product")).ToHaveCountAsync(1);
            await page.Locator("#products .product").ClickAsync();
            var main = page.Locator("#tg-main-button");
            await Assertions.Expect(main).ToHaveTextAsync("Reserve");

            // Both press Buy at once: the app's main button and the chat's Buy button.
            var chatBuys = Task.Run(async () =>
            {
                await app.Send(Updates.Callback(chatTg, ShopBot.BuyPrefix + product.Id));
                var held = await app.WithDb(db => db.Reservations.AsNoTracking()
                    .FirstOrDefaultAsync(r => r.UserId == chatUser.Id && r.ProductId == product.Id && r.Status == ReservationStatus.Active));
                if (held is not null)
                {
                    app.Clock.Advance(TimeSpan.FromSeconds(1.1)); // buttons are limited per second
                    await app.Send(Updates.Callback(chatTg, $"shop:ok:{held.Id}"));
                }
            });
            await main.ClickAsync();
            await chatBuys;
            await Assertions.Expect(page.Locator("#countdown:visible, #error:visible").First).ToBeVisibleAsync();
            if (await page.Locator("#countdown").IsVisibleAsync())
            {
                await Assertions.Expect(main).ToHaveTextAsync("Pay 10.00 USD from wallet");
                await main.ClickAsync();
                await Assertions.Expect(page.Locator("#order-paid:visible, #error:visible").First).ToBeVisibleAsync();
            }

            Assert.Equal(1, await ShopTestData.OrdersOfAsync(app, product.Id));
            Assert.Equal(1, await ShopTestData.SoldAsync(app, product.Id));
            var appWon = await app.WithDb(db => db.Orders.AnyAsync(o => o.ProductId == product.Id && o.UserId != chatUser.Id));
            var chatSaid = (await app.OutboxFor(chatTg)).Select(m => System.Text.Json.Nodes.JsonNode.Parse(m.Payload)!["text"]?.ToString() ?? "").ToList();
            if (appWon)
            {
                await Assertions.Expect(page.Locator("#order-paid")).ToBeVisibleAsync();
                Assert.Contains(chatSaid, t => t.Contains("this was just sold"));
            }
            else
            {
                await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("just sold");
                Assert.Contains(chatSaid, t => t.Contains("</b> paid"));
            }
            Assert.Equal(10_00, await app.WithDb(db => db.Orders.Where(o => o.ProductId == product.Id).SumAsync(o => o.FinalPrice)));
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Stars_pay_a_reservation_through_openInvoice_and_the_page_shows_the_order_once_Telegram_confirms()
    {
        var name = $"Star mug {Guid.NewGuid():N}"[..14];
        var product = await ShopTestData.ProductAsync(app, 1, price: 2_00, configure: p => p.Name = name);
        var tg = Updates.NewUserId();
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var (page, _) = await OpenAsync(browser, tg);
        await page.FillAsync("#f-search", name);
        await Assertions.Expect(page.Locator("#products .product")).ToHaveCountAsync(1);
        await page.Locator("#products .product").ClickAsync();
        await page.ClickAsync("#tg-main-button");
        await Assertions.Expect(page.Locator("#pay-stars")).ToHaveTextAsync("Pay ⭐ 100");
        await page.ClickAsync("#pay-stars");

        // The page handed Telegram the link createInvoiceLink made; the user pays in Telegram's sheet.
        await page.WaitForFunctionAsync("() => window.__tg.invoices.length === 1");
        var link = await page.EvaluateAsync<string>("() => window.__tg.invoices[0]");
        Assert.StartsWith("https://t.me/$invoice", link);
        var call = app.Bot.CallsOf("createInvoiceLink").Last();
        var paymentId = Bazaar.Server.Payments.StarsPayments.PaymentIdOf(call.Str("payload"))!.Value;
        await app.Send(Updates.PreCheckout(tg, Bazaar.Server.Payments.StarsPayments.PayloadFor(paymentId)));
        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await app.Send(MiniAppApiTests.Paid(tg, paymentId, 100, charge), MiniAppApiTests.Paid(tg, paymentId, 100, charge));
        await page.EvaluateAsync("() => window.__tg.invoiceCallback('paid')");

        await Assertions.Expect(page.Locator("#order-paid")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-view=order] .secret")).ToHaveTextAsync($"KEY-{product.Id}-0");
        Assert.Equal(1, await ShopTestData.OrdersOfAsync(app, product.Id));
    }

    [Fact]
    public async Task Outside_Telegram_without_the_sandbox_the_page_says_to_open_it_inside_Telegram()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var (page, outside) = await OpenAsync(browser, 1, inTelegram: false);
        await Assertions.Expect(page.Locator("#outside h1")).ToHaveTextAsync("Open this shop inside Telegram");
        await Assertions.Expect(page.Locator("#open-bot")).ToHaveAttributeAsync("href", "https://t.me/bazaar_test_bot");
        await Assertions.Expect(page.Locator("#sandbox")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#app")).ToBeHiddenAsync();
        Assert.Equal(["https://telegram.org/js/telegram-web-app.js"], outside);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Shots(), "outside-telegram.png") });
    }
}
