using Bazaar.Server.Admin;
using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Payments;
using Bazaar.Tests.Jobs;
using Bazaar.Tests.Raffles;
using Bazaar.Tests.Shop;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Bazaar.Tests.Dashboard;

/// <summary>The dashboard on a real loopback port, for Chromium.</summary>
public sealed class DashboardBrowserFactory : DashboardAppFactory
{
    public DashboardBrowserFactory() => UseKestrel(0);

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

/// <summary>The operator's main flows in headless Chromium, and a screenshot of each main page in light and dark.</summary>
public sealed class DashboardBrowserTests(DashboardBrowserFactory app) : IClassFixture<DashboardBrowserFactory>
{
    private static async Task<(IPlaywright, IBrowser)> LaunchAsync()
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

    private async Task<IPage> SignInAsync(IBrowser browser, string role = OperatorRoles.Owner, ColorScheme scheme = ColorScheme.Light, int width = 1200)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = 900 }, ColorScheme = scheme,
        });
        var page = await context.NewPageAsync();
        page.Dialog += async (_, d) => await d.AcceptAsync(); // the confirm() before approving
        await page.GotoAsync(app.BaseUrl + "/admin/payments");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/admin/signin\\?ReturnUrl="));
        await page.FillAsync("input[name=username]", DashboardAppFactory.UsernameFor(role));
        await page.FillAsync("input[name=password]", DashboardAppFactory.PasswordFor(role));
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page).ToHaveURLAsync(app.BaseUrl + "/admin/payments"); // back where the operator wanted to go
        return page;
    }

    private static string Shots()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bazaar.slnx"))) dir = dir.Parent;
        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", "dashboard");
        Directory.CreateDirectory(path);
        return path;
    }

    [Fact]
    public async Task An_operator_signs_in_sees_a_wrong_password_refused_and_signs_out()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync();
        await page.GotoAsync(app.BaseUrl + "/admin");
        await page.FillAsync("input[name=username]", "manager");
        await page.FillAsync("input[name=password]", "not-it");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator(".flash-error")).ToHaveTextAsync("The username or password is wrong.");

        await page.FillAsync("input[name=username]", "manager");
        await page.FillAsync("input[name=password]", DashboardAppFactory.Password);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Overview");
        await Assertions.Expect(page.Locator(".who")).ToContainTextAsync("manager");
        await Assertions.Expect(page.Locator("nav#nav a", new() { HasText = "Settings" })).ToHaveCountAsync(0); // owner only

        await page.ClickAsync("button:has-text('Sign out')");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
        await page.GotoAsync(app.BaseUrl + "/admin/users");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
    }

    [Fact]
    public async Task Three_selected_products_get_a_bulk_discount_and_show_the_new_prices_struck_through()
    {
        var tag = "Mug" + Guid.NewGuid().ToString("N")[..5];
        for (var i = 0; i < 3; i++) await ShopTestData.ProductAsync(app, 2, price: 10_00, configure: p => p.Name = $"{tag} {i}");
        await ShopTestData.ProductAsync(app, 2, price: 10_00, configure: p => p.Name = $"{tag} untouched");
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await SignInAsync(browser, OperatorRoles.Manager);
        await page.GotoAsync(app.BaseUrl + $"/admin/shop?q={tag}");
        var rows = page.Locator("table.products tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        for (var i = 0; i < 3; i++) await rows.Filter(new() { HasText = $"{tag} {i}" }).Locator("input[name=ids]").CheckAsync();
        await page.FillAsync("input[name=percent]", "25");
        await page.ClickAsync("button[name=op][value=discount]");

        await Assertions.Expect(page.Locator(".flash-ok")).ToHaveTextAsync("25% discount set on 3 product(s).");
        for (var i = 0; i < 3; i++)
        {
            var price = rows.Filter(new() { HasText = $"{tag} {i}" }).Locator("td.price");
            await Assertions.Expect(price.Locator("s")).ToHaveTextAsync("10.00 USD");
            await Assertions.Expect(price.Locator("b")).ToHaveTextAsync("7.50 USD");
        }
        await Assertions.Expect(rows.Filter(new() { HasText = $"{tag} untouched" }).Locator("td.price")).ToHaveTextAsync("10.00 USD");

        // Select all on the page, then deactivate.
        await page.CheckAsync("input[data-select-all]");
        await page.ClickAsync("button[name=op][value=deactivate]");
        await Assertions.Expect(page.Locator(".flash-ok")).ToHaveTextAsync("4 product(s) deactivated: customers no longer see them.");
        await Assertions.Expect(rows.Locator(".badge", new() { HasText = "INACTIVE" })).ToHaveCountAsync(4);
    }

    [Fact]
    public async Task Support_approves_a_deposit_and_sees_the_customers_balance_change()
    {
        var (userId, paymentId) = await app.PendingDepositAsync(25_00);
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await SignInAsync(browser, OperatorRoles.Support);
        await page.GotoAsync(app.BaseUrl + $"/admin/users/{userId}");
        await Assertions.Expect(page.Locator(".balances, p.muted", new() { HasText = "No wallet yet" }).First).ToBeVisibleAsync();

        await page.GotoAsync(app.BaseUrl + "/admin/payments");
        var card = page.Locator($"article.deposit[data-payment='{paymentId}']");
        await Assertions.Expect(card).ToContainTextAsync("25.00 USD");
        await Assertions.Expect(card.Locator("img.proof")).ToBeVisibleAsync();
        await card.Locator("button", new() { HasText = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator(".flash-ok")).ToHaveTextAsync($"Deposit {paymentId} approved: 25.00 USD credited to user {userId}.");
        await Assertions.Expect(page.Locator($"article.deposit[data-payment='{paymentId}']")).ToHaveCountAsync(0);

        await page.GotoAsync(app.BaseUrl + $"/admin/users/{userId}");
        await Assertions.Expect(page.Locator(".balances li[data-currency='USD']")).ToHaveTextAsync("25.00 USD");
    }

    [Fact]
    public async Task The_overview_charts_render_their_data_on_canvases_in_light_and_dark()
    {
        // A deposit completed today, so the deposits chart has a point above zero.
        var (_, paymentId) = await app.PendingDepositAsync(40_00);
        await app.In(async sp => await sp.GetRequiredService<ManualTransfers>().ApproveAsync(paymentId, "test", default));
        // And a shop order placed today, so the orders chart has a bar.
        var buyer = await app.UserAsync("Chartie");
        var product = await ShopTestData.ProductAsync(app, 1, price: 3_00);
        await ShopTestData.FundAsync(app, buyer.Id, 3_00);
        var reservation = await app.In(sp => sp.GetRequiredService<Bazaar.Server.Shop.Reservations>().ReserveAsync(buyer.Id, product.Id, default));
        await app.In(sp => sp.GetRequiredService<Bazaar.Server.Shop.Purchase>().ConfirmAsync(buyer.Id, reservation.Reservation!.Id, default));
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await SignInAsync(browser, OperatorRoles.Owner, scheme);
            await page.GotoAsync(app.BaseUrl + "/admin");
            foreach (var id in new[] { "chart-revenue", "chart-orders", "chart-deposits", "chart-users" })
            {
                var points = await page.EvaluateAsync<int>($"() => Chart.getChart(document.getElementById('{id}')).data.datasets[0].data.length");
                Assert.Equal(30, points);
            }
            var deposits = await page.EvaluateAsync<double>("() => Chart.getChart(document.getElementById('chart-deposits')).data.datasets[0].data.reduce((a, b) => a + b, 0)");
            Assert.True(deposits >= 40, $"deposits plotted: {deposits}");
            var orders = await page.EvaluateAsync<double>("() => Chart.getChart(document.getElementById('chart-orders')).data.datasets[0].data.at(-1)");
            Assert.True(orders >= 1, $"orders today plotted: {orders}");
            // Pixels were drawn: the canvas is not blank.
            var painted = await page.EvaluateAsync<int>("""
                () => { const c = document.getElementById('chart-deposits'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }
                """);
            Assert.True(painted > 500, $"painted pixels: {painted}");
            var bg = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
            Assert.Equal(scheme == ColorScheme.Dark ? "rgb(17, 20, 26)" : "rgb(246, 247, 249)", bg);
        }
    }

    [Fact]
    public async Task A_broadcast_is_started_and_its_progress_bar_reaches_100_percent_against_the_fake_Bot_API()
    {
        await app.Send(Updates.Text(BotAppFactory.AdminUserId, "/start")); // the operator's own chat gets the test copy
        var recipients = new List<ChatUser>();
        for (var i = 0; i < 6; i++) recipients.Add(await app.UserAsync("Reader"));
        var tag = Guid.NewGuid().ToString("N")[..6];
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await SignInAsync(browser, OperatorRoles.Manager);
        await page.GotoAsync(app.BaseUrl + "/admin/broadcasts");
        await page.FillAsync("textarea[name=text]", $"<b>Flash sale</b> {tag}");
        await page.SelectOptionAsync("select[name=segment]", "ids");
        await page.FillAsync("input[name=value]", string.Join(", ", recipients.Select(r => r.Id)));
        await page.FillAsync("input[name=testTo]", BotAppFactory.AdminUserId.ToString());
        // The preview comes from the server (htmx): the formatted message and the dry run's recipient count.
        await Assertions.Expect(page.Locator("#preview .tg-text b")).ToHaveTextAsync("Flash sale");
        await Assertions.Expect(page.Locator("#recipients b")).ToHaveTextAsync("6");
        await page.ClickAsync("button:has-text('Create draft and send me a test')");
        await Assertions.Expect(page.Locator(".flash-ok")).ToContainTextAsync("test copy sent");
        Assert.Contains(await app.OutboxFor(BotAppFactory.AdminUserId), m => m.Payload.Contains(tag));
        await page.ClickAsync("button:has-text('Send to 6 recipient(s)')"); // the confirm() is accepted

        // The outbox sender and the job queue, stepped on the fake clock, while the page polls the progress.
        using var stop = new CancellationTokenSource();
        var driver = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await JobSteps.DrainAsync(app);
                var sender = app.Services.GetRequiredService<Bazaar.Server.Channels.OutboxSender>();
                while ((await sender.RunOnceAsync(default)).Claimed > 0) { }
                app.Clock.Advance(TimeSpan.FromSeconds(0.5));
                await Task.Delay(100);
            }
        });
        try
        {
            await Assertions.Expect(page.Locator("#percent")).ToHaveTextAsync("100%", new() { Timeout = 60_000 });
            await Assertions.Expect(page.Locator("#sent")).ToHaveTextAsync("6");
            await Assertions.Expect(page.Locator("#progress .progress-bar")).ToHaveAttributeAsync("style", "width:100%");
            await Assertions.Expect(page.Locator("#progress .badge")).ToHaveTextAsync("COMPLETED");
        }
        finally
        {
            stop.Cancel();
            await driver;
        }
        var sent = app.Bot.CallsOf("sendMessage").Where(c => (c.Str("text") ?? "").Contains(tag)).ToList();
        foreach (var r in recipients) Assert.Single(sent, c => c.Str("chat_id") == r.ExternalId);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Shots(), "broadcast-light.png"), FullPage = true });
    }

    [Fact]
    public async Task The_theme_toggle_switches_to_dark_and_remembers_it()
    {
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await SignInAsync(browser);
        await page.ClickAsync("#theme-toggle");
        Assert.Equal("rgb(17, 20, 26)", await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor"));
        await page.GotoAsync(app.BaseUrl + "/admin/shop");
        Assert.Equal("dark", await page.EvaluateAsync<string>("() => document.documentElement.dataset.theme"));
    }

    [SqliteRunFact("the screenshots show the same pages on either database, and saving them takes most of a minute")]
    public async Task Each_main_page_is_saved_as_a_screenshot_in_light_and_dark_and_on_a_phone()
    {
        await ShopTestData.ProductAsync(app, 3, price: 19_90, discount: 15, configure: p => p.Name = "Gift card 20");
        await ShopTestData.ProductAsync(app, 0, price: 5_00, configure: p => p.Name = "Sticker pack");
        var raffle = await RaffleTestData.ActiveAsync(app, 1, 100, price: 2_00);
        var (depositor, _) = await app.PendingDepositAsync(12_00);
        var now = app.Clock.GetUtcNow().UtcDateTime;
        await app.WithDb(async db =>
        {
            db.Giveaways.Add(GiveawayApi.New(new GiveawayApi.GiveawayRequest("Winter giveaway", "Join and win", "Headphones", 3, now, now.AddDays(7)), now));
            db.Tariffs.Add(new Tariff { Name = "10 checks", Credits = 10, Price = 9_90, Currency = "USD", StarsPrice = 500, CreatedAt = now, UpdatedAt = now });
            db.ChannelPosts.Add(new Bazaar.Server.ChannelPosts.ChannelPost { ChatId = "@bazaar_news", Text = "<b>New stock</b> is in: open /shop", Pin = true,
                PostAt = now.AddHours(3), CreatedBy = "dashboard:owner", CreatedAt = now, UpdatedAt = now });
            db.Guides.Add(new Bazaar.Server.Guides.Guide { Topic = "buying", Position = 10, TitleEn = "🛒 How to buy", TitleRu = "🛒 Как купить",
                BodyEn = "# Buying\n- Open /shop and pick a product.\n- Tap **Buy**.", CreatedAt = now, UpdatedAt = now });
            await db.SaveChangesAsync();
        });
        var pages = new[]
        {
            ("overview", "/admin", "Overview"), ("payments", "/admin/payments", "Payments"), ("shop", "/admin/shop", "Shop"),
            ("shop-orders", "/admin/shop/orders", "Shop orders"), ("raffles", "/admin/raffles", "Raffles"), ("raffle", $"/admin/raffles/{raffle.Id}", raffle.Title),
            ("raffle-orders", "/admin/raffles/orders", "Raffle orders"), ("giveaways", "/admin/giveaways", "Giveaways"), ("checks", "/admin/checks", "Paid checks"),
            ("users", "/admin/users", "Users"), ("events", "/admin/events", "Event log"), ("jobs", "/admin/jobs", "Job queue"), ("outbox", "/admin/outbox", "Outbox"),
            ("audit", "/admin/audit", "Audit log"), ("settings", "/admin/settings", "Settings"), ("settings-texts", "/admin/settings/texts", "Bot texts"),
            ("user", $"/admin/users/{depositor}", "Dora"), ("broadcasts", "/admin/broadcasts", "Broadcasts"),
            ("channel-posts", "/admin/channel-posts", "Channel posts"), ("guides", "/admin/guides", "Guides"), ("guide", "/admin/guides/buying", "Guide: buying"),
            ("mini-app", "/admin/mini-app", "Mini App"),
        };
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var dir = Shots();
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            var page = await SignInAsync(browser, OperatorRoles.Owner, scheme);
            foreach (var (name, path, title) in pages)
            {
                var r = await page.GotoAsync(app.BaseUrl + path);
                Assert.Equal(200, r!.Status);
                await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync(title);
                var file = Path.Combine(dir, $"{name}-{(scheme == ColorScheme.Dark ? "dark" : "light")}.png");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = file, FullPage = true });
                Assert.True(new FileInfo(file).Length > 5_000, file);
            }
        }
        var phone = await SignInAsync(browser, OperatorRoles.Owner, ColorScheme.Light, width: 390);
        await phone.GotoAsync(app.BaseUrl + "/admin/shop");
        await Assertions.Expect(phone.Locator("nav#nav")).ToBeHiddenAsync();
        await phone.ClickAsync(".menu-toggle");
        await Assertions.Expect(phone.Locator("nav#nav a", new() { HasText = "Raffles" })).ToBeVisibleAsync();
        await phone.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "shop-phone.png"), FullPage = true });
        Assert.All(pages, p => Assert.True(File.Exists(Path.Combine(dir, $"{p.Item1}-dark.png")), p.Item1));
    }
}
