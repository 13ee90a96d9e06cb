using System.Net;
using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

public sealed class StarsTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private async Task<T> WithStars<T>(Func<StarsPayments, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<StarsPayments>());
    }

    private async Task<(long Id, Bazaar.Server.Data.ChatUser User)> NewInvoice(decimal usd = 2m, string lang = "en")
    {
        var user = await MoneyTestData.CreateUserAsync(factory, lang);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stars", usd);
        return (p.GetProperty("id").GetInt64(), user);
    }

    [Fact]
    public async Task An_invoice_is_in_XTR_with_an_empty_provider_token_priced_in_stars()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stars", 2m);
        var id = p.GetProperty("id").GetInt64();
        Assert.Equal(100, p.GetProperty("payAmountMinor").GetInt64()); // 2 USD at 50 stars per USD
        Assert.Equal("XTR", p.GetProperty("payCurrency").GetString());
        Assert.StartsWith("https://t.me/$invoice", p.GetProperty("payUrl").GetString());

        var call = factory.Bot.CallsOf("createInvoiceLink").Single(c => c.Str("payload") == $"pay:{id}");
        Assert.Equal("XTR", call.Str("currency"));
        Assert.Equal("", call.Str("provider_token") ?? "");
        Assert.Equal(100, call.Parameters["prices"]![0]!["amount"]!.GetValue<int>());

        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(x => x.Id == id));
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            scope.ServiceProvider.GetRequiredService<StarsPayments>()
                .EnqueueInvoice(new ChatTarget("telegram", user.ExternalId, user.Id), payment, "Top-up", "Wallet top-up 2.00 USD");
            await scope.ServiceProvider.GetRequiredService<Bazaar.Server.Data.BazaarDb>().SaveChangesAsync();
        }
        var invoice = (await PaymentTestData.OutboxForAsync(factory, user.ExternalId)).Single(m => m.Method == "sendInvoice");
        var json = JsonDocument.Parse(invoice.Payload).RootElement;
        Assert.Equal("XTR", json.GetProperty("currency").GetString());
        Assert.Equal($"pay:{id}", json.GetProperty("payload").GetString());
        Assert.Equal(100, json.GetProperty("prices")[0].GetProperty("amount").GetInt32());
    }

    [Fact]
    public async Task Pre_checkout_accepts_a_pending_invoice_at_its_price_and_refuses_anything_else_with_a_clear_message()
    {
        var (id, _) = await NewInvoice(2m, "ru");
        Assert.True((await WithStars(s => s.ValidatePreCheckoutAsync($"pay:{id}", 100, "XTR", default))).Ok);

        var changed = await WithStars(s => s.ValidatePreCheckoutAsync($"pay:{id}", 99, "XTR", default));
        Assert.False(changed.Ok);
        Assert.Equal("price_changed", changed.ErrorCode);
        Assert.Equal(PaymentTexts.PriceChanged.Ru, changed.ErrorMessage);

        Assert.Equal("not_pending", (await WithStars(s => s.ValidatePreCheckoutAsync("pay:987654321", 100, "XTR", default))).ErrorCode);
        Assert.Equal("not_pending", (await WithStars(s => s.ValidatePreCheckoutAsync("garbage", 100, "XTR", default))).ErrorCode);

        await WithStars(s => s.CompleteStarsPaymentAsync("charge-" + Guid.NewGuid(), $"pay:{id}", 100, default));
        var after = await WithStars(s => s.ValidatePreCheckoutAsync($"pay:{id}", 100, "XTR", default));
        Assert.Equal("not_pending", after.ErrorCode);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_successful_payment_completes_once_by_charge_id_even_when_delivered_concurrently()
    {
        var (id, user) = await NewInvoice(3m);
        var charge = "stxChargeId" + Guid.NewGuid().ToString("N");

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() =>
            WithStars(s => s.CompleteStarsPaymentAsync(charge, $"pay:{id}", 150, default)))));

        Assert.Equal(1, results.Count(r => r.Outcome == CompleteOutcome.Completed));
        Assert.Equal(3_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        var p = await PaymentTestData.GetPaymentAsync(factory, id);
        Assert.Equal("COMPLETED", p.GetProperty("status").GetString());
        Assert.Equal(charge, p.GetProperty("providerPaymentId").GetString());
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_operator_refund_calls_refundStarPayment_and_reverses_the_credit_through_the_ledger()
    {
        var (id, user) = await NewInvoice(2m);
        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await WithStars(s => s.CompleteStarsPaymentAsync(charge, $"pay:{id}", 100, default));
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        using var client = factory.AdminClient();

        var refund = await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null);

        Assert.Equal(HttpStatusCode.OK, refund.StatusCode);
        Assert.Equal("REFUNDED", (await refund.ReadJson()).GetProperty("status").GetString());
        var call = factory.Bot.CallsOf("refundStarPayment").Single(c => c.Str("telegram_payment_charge_id") == charge);
        Assert.Equal(user.ExternalId, call.Str("user_id"));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("refunded"));

        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(409, "not_refundable");
        Assert.Single(factory.Bot.CallsOf("refundStarPayment"), c => c.Str("telegram_payment_charge_id") == charge);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_refund_the_wallet_can_no_longer_cover_is_refused_and_nothing_changes()
    {
        var (id, user) = await NewInvoice(2m);
        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await WithStars(s => s.CompleteStarsPaymentAsync(charge, $"pay:{id}", 100, default));
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var spent = await scope.ServiceProvider.GetRequiredService<Ledger>()
                .TransferAsync(AccountRef.Wallet(user.Id), AccountRef.SalesRevenue, 1_50, "USD", "purchase", null, default);
            Assert.True(spent.Ok);
        }
        using var client = factory.AdminClient();

        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(409, "insufficient_funds");

        Assert.DoesNotContain(factory.Bot.CallsOf("refundStarPayment"), c => c.Str("telegram_payment_charge_id") == charge);
        Assert.Equal("COMPLETED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.Equal(50, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task When_Telegram_refuses_the_refund_the_payment_and_wallet_stay_as_they_were()
    {
        var (id, user) = await NewInvoice(1m);
        await WithStars(s => s.CompleteStarsPaymentAsync("charge-" + Guid.NewGuid().ToString("N"), $"pay:{id}", 50, default));
        factory.Bot.FailNext("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND");
        using var client = factory.AdminClient();

        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(502, "provider_failed");

        Assert.Equal("COMPLETED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.Equal(1_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
}
