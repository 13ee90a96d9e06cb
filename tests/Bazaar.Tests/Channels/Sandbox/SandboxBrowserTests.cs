using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Bazaar.Tests.Channels.Sandbox;

/// <summary>
/// The sandbox on a real loopback port, with the background processor on, as a person would use it; manual bank
/// deposits configured and user 9000 an operator, as in Development.
/// </summary>
public sealed class SandboxBrowserFactory : BotAppFactory
{
    public const long Operator = 9000;

    public SandboxBrowserFactory()
    {
        With("Sandbox:Enabled", "true");
        With("Conversations:Processor:Enabled", "true");
        With("Admin:TelegramIds", Operator.ToString());
        With("Shop:Currency", "USD");
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} to IBAN PL61 1090 1014 0000 0712 1981 2874 with the title {reference}.");
        UseKestrel(0);
    }

    public string BaseUrl => Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}

public sealed class SandboxBrowserTests(SandboxBrowserFactory app) : IClassFixture<SandboxBrowserFactory>
{
    private static async Task<(IPlaywright, IBrowser, IPage)> OpenAsync(string url)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 820 } });
        await page.GotoAsync(url);
        return (playwright, browser, page);
    }

    /// <summary>The bot's messages in one user's chat (each user id has its own).</summary>
    private static ILocator Bot(IPage page, long user) => page.Locator($".log[data-user='{user}'] .msg.bot");

    private static async Task Say(IPage page, string text)
    {
        await page.FillAsync("#text", text);
        await page.PressAsync("#text", "Enter");
    }

    [Fact]
    public async Task A_person_types_start_sees_the_greeting_and_a_button_edits_it_in_place()
    {
        var (playwright, browser, page) = await OpenAsync(app.BaseUrl + "/sandbox");
        using var _ = playwright;
        await using var __ = browser;
        var user = Updates.NewUserId();
        await page.FillAsync("#uid", user.ToString());
        await page.FillAsync("#fname", "Petra");

        await Say(page, "/start");
        var bot = Bot(page, user);
        await Assertions.Expect(bot.First).ToContainTextAsync("Hello, Petra!");

        await bot.First.Locator("button", new() { HasText = "Commands" }).ClickAsync();
        await Assertions.Expect(bot.First).ToContainTextAsync("Here is what I can do:");
        await Assertions.Expect(bot.First).ToContainTextAsync("/help");
        await Assertions.Expect(bot).ToHaveCountAsync(1); // edited in place, not a new message

        await Say(page, "/nope");
        await Assertions.Expect(bot.Nth(1)).ToContainTextAsync("I don't know the command /nope.");
    }

    [Fact]
    public async Task The_api_docs_page_loads_everything_from_this_server_and_shows_no_deploy_or_ai_buttons()
    {
        var (playwright, browser, page) = await OpenAsync("about:blank");
        using var _ = playwright;
        await using var __ = browser;
        var elsewhere = new System.Collections.Concurrent.ConcurrentBag<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith(app.BaseUrl, StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) elsewhere.Add(r.Url); };
        await page.GotoAsync(app.BaseUrl + "/api-docs");
        await Assertions.Expect(page.GetByText("Bazaar API").First).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        Assert.Empty(elsewhere);
        Assert.Equal(0, await page.GetByText("Ask AI").CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Deploy" }).CountAsync());
    }

    [Fact]
    public async Task Reloading_the_page_shows_both_sides_of_the_conversation_in_order()
    {
        var (playwright, browser, page) = await OpenAsync(app.BaseUrl + "/sandbox");
        using var _ = playwright;
        await using var __ = browser;
        var user = Updates.NewUserId();
        await page.FillAsync("#uid", user.ToString());
        await Say(page, "/start");
        await Assertions.Expect(Bot(page, user).First).ToContainTextAsync("Hello");
        await Say(page, "/nope");
        await Assertions.Expect(Bot(page, user).Nth(1)).ToContainTextAsync("I don't know the command /nope.");

        await page.ReloadAsync();
        await page.FillAsync("#uid", user.ToString());
        var log = page.Locator($".log[data-user='{user}'] .msg");
        await Assertions.Expect(log).ToHaveCountAsync(4);
        Assert.Equal(["me", "bot", "me", "bot"], await log.EvaluateAllAsync<string[]>("els => els.map(e => e.classList.contains('me') ? 'me' : 'bot')"));
        await Assertions.Expect(log.Nth(0)).ToHaveTextAsync("/start");
        await Assertions.Expect(log.Nth(2)).ToHaveTextAsync("/nope");
    }

    [Fact]
    public async Task A_manual_deposit_with_a_photo_proof_is_approved_by_the_operator_and_the_customer_sees_the_credit()
    {
        const long customer = 1001;
        var (playwright, browser, page) = await OpenAsync(app.BaseUrl + "/sandbox");
        using var _ = playwright;
        await using var __ = browser;
        await Assertions.Expect(page.Locator("#hint")).ToHaveTextAsync("User id 9000 is an admin in Development (try /deposits).");
        await page.ClickAsync(".quick button[data-uid='1001']");
        var alice = Bot(page, customer);

        await Say(page, "/wallet");
        await alice.Last.Locator("button", new() { HasText = "Deposit" }).ClickAsync();
        await alice.Last.Locator("button", new() { HasText = "Bank transfer" }).ClickAsync();
        await Assertions.Expect(alice.Last).ToContainTextAsync("Send the amount in USD");
        await Say(page, "25");
        await Assertions.Expect(alice.Last).ToContainTextAsync("Reference code:");
        await Assertions.Expect(alice.Last).ToContainTextAsync("send a photo or a document");

        await page.FillAsync("#text", "Paid from my bank app");
        await page.SetInputFilesAsync("#photo", new FilePayload
        {
            Name = "proof.png", MimeType = "image/png", Buffer = CryptoPayments.QrPng("Transfer confirmation 25.00 USD"),
        });
        var mine = page.Locator($".log[data-user='{customer}'] .msg.me").Last;
        await Assertions.Expect(mine.Locator("img.media")).ToBeVisibleAsync();
        await Assertions.Expect(mine).ToContainTextAsync("Paid from my bank app");
        await Assertions.Expect(alice.Last).ToContainTextAsync("📨 Thank you! We received your confirmation");

        var sandboxUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == customer.ToString()));
        var payment = await app.WithDb(db => db.Payments.AsNoTracking().Where(p => p.UserId == sandboxUser.Id).OrderByDescending(p => p.Id).FirstAsync());
        Assert.StartsWith("sandbox-photo-", payment.ProofFileId);
        Assert.Equal(PaymentStatus.Pending, payment.Status);

        await page.ClickAsync(".quick button[data-uid='9000']");
        var admin = Bot(page, SandboxBrowserFactory.Operator);
        await Assertions.Expect(alice.First).ToBeHiddenAsync(); // the customer's chat is not mixed into the operator's
        await Say(page, "/deposits");
        await Assertions.Expect(admin.Last).ToContainTextAsync("Pending manual deposits");
        await admin.Last.Locator("button", new() { HasText = $"Approve #{payment.Id}" }).ClickAsync();
        await Assertions.Expect(admin.Last).ToContainTextAsync($"Deposit #{payment.Id}");
        await Assertions.Expect(admin.Last).ToContainTextAsync("approved");

        await page.ClickAsync(".quick button[data-uid='1001']");
        await Assertions.Expect(admin.First).ToBeHiddenAsync();
        await Assertions.Expect(alice.Last).ToContainTextAsync("25.00 USD has been added to your wallet.");
        await Assertions.Expect(mine.Locator("img.media")).ToBeVisibleAsync(); // the earlier conversation is still there

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepoRoot(), "TestResults", "sandbox-deposit.png") });
    }

    [Fact]
    public async Task A_WhatsApp_contact_in_the_sandbox_picks_a_raffle_from_a_list_reserves_with_reply_buttons_and_sends_a_proof()
    {
        var raffles = new List<Bazaar.Server.Raffles.Raffle>();
        for (var i = 0; i < 4; i++) raffles.Add(await Bazaar.Tests.Raffles.RaffleTestData.ActiveAsync(app, 1, 100, price: 2_00));
        var (playwright, browser, page) = await OpenAsync(app.BaseUrl + "/sandbox");
        using var _ = playwright;
        await using var __ = browser;
        await page.SelectOptionAsync("#channel", "whatsapp");
        await Assertions.Expect(page.Locator("#wa-hint")).ToBeVisibleAsync();
        var waId = "34" + Random.Shared.NextInt64(600_000_000, 699_999_999);
        await page.FillAsync("#uid", waId);
        await page.FillAsync("#fname", "María");
        var bot = page.Locator($".log[data-user='{waId}'][data-channel='sandbox_whatsapp'] .msg.bot");

        await Say(page, "raffles");
        await Assertions.Expect(bot.Last).ToContainTextAsync("Rifas");
        // Four raffles: a WhatsApp list behind its button, not inline buttons.
        await bot.Last.Locator(".wa-buttons button", new() { HasText = "Options" }).ClickAsync();
        await bot.Last.Locator(".wa-list button", new() { HasText = raffles[0].Title }).ClickAsync();
        await Assertions.Expect(bot.Last).ToContainTextAsync(raffles[0].Title);
        await Assertions.Expect(bot.Last.Locator(".wa-buttons button")).ToHaveCountAsync(2); // random ×1, ×3: no number grid

        await Say(page, "7, 8");
        await Assertions.Expect(bot.Last).ToContainTextAsync("007, 008");
        await Assertions.Expect(bot.Last.Locator("b", new() { HasText = "007, 008" })).ToBeVisibleAsync(); // *bold* rendered
        await bot.Last.Locator(".wa-buttons button", new() { HasText = "Confirmar" }).ClickAsync();
        await Assertions.Expect(bot.Last).ToContainTextAsync("comprobante");

        await page.SetInputFilesAsync("#photo", new FilePayload { Name = "receipt.png", MimeType = "image/png", Buffer = CryptoPayments.QrPng("Paid 4.00 USD") });
        await Assertions.Expect(bot.Last).ToContainTextAsync("¡Gracias!");
        var order = await app.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.RaffleId == raffles[0].Id));
        Assert.Equal(("7,8", "proof"), (order.Numbers, order.PaidWith));
        Assert.StartsWith("sandbox_whatsapp:sandbox-image-", order.ProofPath);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Bazaar.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? AppContext.BaseDirectory;
    }
}
