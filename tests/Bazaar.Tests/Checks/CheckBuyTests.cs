using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Checks;

/// <summary>The checks' server with Robokassa and Stripe configured as well as Stars.</summary>
public sealed class CheckBuyAppFactory : ChecksAppFactory
{
    public FakeStripeApi Stripe { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Stripe = await FakeStripeApi.StartAsync();
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Stripe:SecretKey", "sk_test_fake_123");
        With("Payments:Stripe:WebhookSecret", PaymentsAppFactory.StripeWebhookSecret);
        With("Payments:Stripe:ApiBase", Stripe.BaseUrl);
        With("Payments:Robokassa:MerchantLogin", PaymentsAppFactory.RobokassaLogin);
        With("Payments:Robokassa:Password1", PaymentsAppFactory.RobokassaPassword1);
        With("Payments:Robokassa:Password2", PaymentsAppFactory.RobokassaPassword2);
        With("Payments:Robokassa:IsTest", "true");
        await base.InitializeAsync();
    }
}

/// <summary>/buy in the bot: tariffs as buttons, then the methods that are configured; paying adds the credits once and says the balance.</summary>
public sealed class CheckBuyTests(CheckBuyAppFactory app) : IClassFixture<CheckBuyAppFactory>
{
    private async Task<JsonElement> Tariff(string name, long credits, decimal price, long? stars = null)
    {
        using var client = app.AdminClient();
        var r = await client.PostJson("/api/v1/admin/tariffs", new { name, credits, price, currency = "RUB", starsPrice = stars });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return await r.ReadJson();
    }

    private static List<string> Buttons(JsonObject payload) =>
        payload["reply_markup"]!["inline_keyboard"]!.AsArray().SelectMany(row => row!.AsArray())
            .Select(b => b!["callback_data"]?.GetValue<string>() ?? b!["url"]!.GetValue<string>()).ToList();

    private async Task<JsonObject> LastWithKeyboard(long tg) =>
        JsonNode.Parse((await app.OutboxFor(tg)).Last(m => m.Payload.Contains("inline_keyboard")).Payload)!.AsObject();

    [Fact]
    public async Task Buy_lists_active_tariffs_then_every_configured_method_and_each_method_makes_a_tariff_payment()
    {
        var name = "Pack " + Guid.NewGuid().ToString("N")[..6];
        var t = await Tariff(name, 5, 100m, stars: 40);
        var id = t.GetProperty("id").GetInt64();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"), Updates.Text(tg, "/buy"));
        var list = await LastWithKeyboard(tg);
        Assert.Contains("You have <b>0</b>", list["text"]!.GetValue<string>());
        Assert.Contains($"chk:t:{id}", Buttons(list));

        await app.Send(Updates.Callback(tg, $"chk:t:{id}"));
        var methods = await LastWithKeyboard(tg);
        Assert.Contains($"<b>{name}</b>: 5 credits", methods["text"]!.GetValue<string>());
        Assert.Equal([$"chk:p:{id}:stars", $"chk:p:{id}:robokassa", $"chk:p:{id}:stripe", $"chk:w:{id}", "chk:buy"], Buttons(methods).ToArray());
        Assert.Contains("⭐ 40 Stars", methods.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

        var user = await app.UserOf(tg);
        await app.Send(Updates.Callback(tg, $"chk:p:{id}:robokassa"));
        var robokassa = await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == user.Id && p.Method == PaymentMethod.Robokassa));
        Assert.Equal((PaymentPurpose.Tariff, id.ToString(), 100_00L, "RUB"), (robokassa.Purpose, robokassa.PurposeRef!, robokassa.Amount, robokassa.Currency));
        Assert.Contains(robokassa.PayUrl!, Buttons(await LastWithKeyboard(tg)));

        await app.Send(Updates.Callback(tg, $"chk:p:{id}:stripe"));
        Assert.Contains("Preparing your payment link", (await app.TextsFor(tg)).Last());
        Assert.Equal(PaymentPurpose.Tariff, (await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == user.Id && p.Method == PaymentMethod.Stripe))).Purpose);

        await app.Send(Updates.Callback(tg, $"chk:p:{id}:stars"));
        var stars = await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == user.Id && p.Method == PaymentMethod.Stars));
        Assert.Equal(40, stars.PayAmount);
        Assert.Contains(await app.OutboxFor(tg), m => m.Method == "sendInvoice" && m.Payload.Contains($"pay:{stars.Id}"));

        // Telegram confirms the Stars payment twice at once: the credits come once, and the user is told the new balance.
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => app.In(sp =>
            sp.GetRequiredService<StarsPayments>().CompleteStarsPaymentAsync("charge-" + stars.Id, $"pay:{stars.Id}", 40, CancellationToken.None)))));
        Assert.Equal(5, await app.CreditBalance(user.Id));
        Assert.Single(await app.TextsFor(tg), x => x.Contains("<b>5</b> check credits added") && x.Contains("Your balance: <b>5</b> credits"));
        await app.Send(Updates.Text(tg, "/balance"));
        Assert.Contains("Check credits: <b>5</b>", (await app.TextsFor(tg)).Last());

        // A deactivated tariff is no longer offered, and its old button says so.
        using (var client = app.AdminClient()) Assert.Equal(HttpStatusCode.OK, (await client.DeleteAsync($"/api/v1/admin/tariffs/{id}")).StatusCode);
        await app.Send(Updates.Text(tg, "/buy"));
        Assert.DoesNotContain($"chk:t:{id}", (await app.OutboxFor(tg)).Last().Payload);
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Paying_from_the_wallet_needs_the_money_then_moves_it_and_adds_the_credits_in_one_step()
    {
        var id = (await Tariff("Wallet pack " + Guid.NewGuid().ToString("N")[..6], 3, 150m)).GetProperty("id").GetInt64();
        var tg = Updates.NewUserId();
        await app.Send(Updates.Text(tg, "/start"));
        var user = await app.UserOf(tg);

        await app.Send(Updates.Callback(tg, $"chk:w:{id}"));
        Assert.Contains("not enough for", (await app.TextsFor(tg)).Last());
        Assert.Equal(0, await app.CreditBalance(user.Id));

        using (var client = app.AdminClient())
            Assert.Equal(HttpStatusCode.OK, (await client.PostJson($"/api/v1/admin/wallets/{user.Id}/adjust", new { amount = 400m, currency = "RUB", reason = "test" })).StatusCode);
        var press = Updates.Callback(tg, $"chk:w:{id}");
        await app.Send(press);
        Assert.Contains("✅ 3 credits added. Your balance: <b>3</b> credits.", (await app.TextsFor(tg)).Last());
        Assert.Equal(3, await app.CreditBalance(user.Id));
        Assert.Equal(250_00, await MoneyTestData.BalanceAsync(app, user.Id, "RUB"));

        // The same button press delivered again (a new update, the same callback query) buys nothing more, though the
        // wallet could pay for a second one.
        press["update_id"] = Updates.NextUpdateId();
        app.Clock.Advance(TimeSpan.FromSeconds(2)); // past the per-second button limit, so the handler sees it
        await app.Send(press);
        Assert.Equal(3, await app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UserId == tg.ToString() && u.Status == Bazaar.Server.Conversations.UpdateStatus.Processed && u.Kind == "callback_query" && u.Payload.Contains($"chk:w:{id}"))));
        Assert.Equal(3, await app.CreditBalance(user.Id));
        Assert.Equal(250_00, await MoneyTestData.BalanceAsync(app, user.Id, "RUB"));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }
}
