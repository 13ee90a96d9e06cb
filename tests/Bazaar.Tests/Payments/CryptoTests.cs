using System.Net;
using Bazaar.Server.Payments;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

public sealed class CryptoTests(PaymentsAppFactory factory) : IClassFixture<PaymentsAppFactory>
{
    private static async Task<CryptoWatcher.RunSummary> RunWatcher(WebApplicationFactory<Program> app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CryptoWatcher>().RunOnceAsync(default);
    }

    private Task<CryptoTransfer?> TransferOf(string txid) =>
        factory.WithDb(db => db.CryptoTransfers.AsNoTracking().FirstOrDefaultAsync(t => t.Txid == txid));

    [Fact]
    public async Task A_deposit_gets_a_fresh_address_a_quote_and_a_QR_code()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "btc", 100m);
        var crypto = p.GetProperty("crypto");
        var address = crypto.GetProperty("address").GetString()!;
        var index = crypto.GetProperty("derivationIndex").GetInt64();

        Assert.Equal(CoinAddresses.Derive(CoinParams.Bitcoin, PaymentsAppFactory.BtcZpub, index), address);
        Assert.StartsWith("bc1q", address);
        Assert.Equal(200_000, crypto.GetProperty("amountSats").GetInt64()); // 100 USD at 50,000 USD/BTC
        Assert.Equal(0.002m, crypto.GetProperty("amount").GetDecimal());
        Assert.Equal($"bitcoin:{address}?amount=0.002", crypto.GetProperty("uri").GetString());
        Assert.Equal(factory.Clock.GetUtcNow().UtcDateTime.AddMinutes(30), crypto.GetProperty("quoteExpiresAt").GetDateTime().ToUniversalTime());

        using var client = factory.AdminClient();
        var png = await client.GetAsync(crypto.GetProperty("qrUrl").GetString());
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        var bytes = await png.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);

        var ltc = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "ltc", 10m)).GetProperty("crypto");
        Assert.StartsWith("ltc1q", ltc.GetProperty("address").GetString());
        Assert.Equal(10_000_000, ltc.GetProperty("amountSats").GetInt64()); // 10 USD at 100 USD/LTC
    }

    [Fact]
    public async Task Concurrent_deposits_never_share_a_derivation_index()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var created = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => PaymentTestData.CreatePaymentAsync(factory, user.Id, "btc", 5m)));
        var indexes = created.Select(p => p.GetProperty("crypto").GetProperty("derivationIndex").GetInt64()).ToList();
        var addresses = created.Select(p => p.GetProperty("crypto").GetProperty("address").GetString()).ToList();
        Assert.Equal(12, indexes.Distinct().Count());
        Assert.Equal(12, addresses.Distinct().Count());
    }

    [Fact]
    public async Task A_payment_is_announced_when_seen_and_credited_once_at_the_confirmations_at_the_rate_when_first_seen()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "btc", 100m);
        var id = p.GetProperty("id").GetInt64();
        var address = p.GetProperty("crypto").GetProperty("address").GetString()!;

        var txid = factory.Chain.Pay("btc", address, 200_000);
        await RunWatcher(factory);
        var seen = await TransferOf(txid);
        Assert.NotNull(seen);
        Assert.Null(seen.CreditedAt);
        Assert.Equal(50_000m, seen.Rate);
        Assert.False(seen.Late);
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("0.00200000 BTC") && t.Contains(txid));
        Assert.Equal("PENDING", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());

        // The market moves after first sight; the credit keeps the rate that applied then.
        factory.Chain.SetPrice("bitcoin", "usd", 10_000m);
        var tip = factory.Chain.Tip("btc");
        factory.Chain.Confirm("btc", txid, tip); // 1 confirmation, 2 needed
        await RunWatcher(factory);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));

        factory.Chain.SetTip("btc", tip + 1);
        await RunWatcher(factory);
        Assert.Equal(100_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal("COMPLETED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("100.00 USD has been added"));

        await RunWatcher(factory);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RunWatcher(factory)));
        Assert.Equal(100_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        var credited = await TransferOf(txid);
        Assert.Equal(100_00, credited!.CreditedAmount);
        factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Racing_watchers_record_and_credit_each_output_once()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "ltc", 20m);
        var address = p.GetProperty("crypto").GetProperty("address").GetString()!;
        var tip = factory.Chain.Tip("ltc");
        var first = factory.Chain.Pay("ltc", address, 10_000_000, tip - 5);
        var second = factory.Chain.Pay("ltc", address, 5_000_000, tip - 5);

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RunWatcher(factory)));

        Assert.Equal(15_00, await MoneyTestData.BalanceAsync(factory, user.Id)); // 0.15 LTC at 100 USD
        var rows = await factory.WithDb(db => db.CryptoTransfers.AsNoTracking().Where(t => t.Txid == first || t.Txid == second).ToListAsync());
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r.CreditedAt));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_payment_first_seen_after_the_quote_expired_is_credited_at_the_rate_then_and_flagged_late()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var p = await PaymentTestData.CreatePaymentAsync(factory, user.Id, "btc", 100m);
        var address = p.GetProperty("crypto").GetProperty("address").GetString()!;

        factory.Clock.Advance(TimeSpan.FromMinutes(31));
        factory.Chain.SetPrice("bitcoin", "usd", 40_000m);
        try
        {
            var txid = factory.Chain.Pay("btc", address, 200_000, factory.Chain.Tip("btc") - 3);
            await RunWatcher(factory);

            var t = await TransferOf(txid);
            Assert.True(t!.Late);
            Assert.Equal(40_000m, t.Rate);
            Assert.Equal(80_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        }
        finally
        {
            factory.Chain.SetPrice("bitcoin", "usd", 50_000m);
            factory.Clock.Advance(TimeSpan.FromMinutes(11)); // let the rate cache refresh for the other tests
        }
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task An_address_nobody_paid_expires_after_the_watch_window()
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var id = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "btc", 1m)).GetProperty("id").GetInt64();
        factory.Clock.Advance(TimeSpan.FromHours(73));
        await RunWatcher(factory);
        Assert.Equal("EXPIRED", (await PaymentTestData.GetPaymentAsync(factory, id)).GetProperty("status").GetString());
        Assert.False(await factory.WithDb(db => db.CryptoDeposits.Where(d => d.PaymentId == id).Select(d => d.Open).SingleAsync()));
    }

    [Fact]
    public async Task Rates_are_cached_for_the_refresh_interval()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var rates = scope.ServiceProvider.GetRequiredService<RateService>();
        factory.Clock.Advance(TimeSpan.FromMinutes(11));
        var before = factory.Chain.PriceCalls;
        Assert.Equal(50_000m, await rates.GetAsync(PaymentMethod.Btc, "USD", default));
        Assert.Equal(100m, await rates.GetAsync(PaymentMethod.Ltc, "USD", default));
        factory.Clock.Advance(TimeSpan.FromMinutes(9));
        await rates.GetAsync(PaymentMethod.Btc, "USD", default);
        Assert.Equal(before + 1, factory.Chain.PriceCalls);
        factory.Clock.Advance(TimeSpan.FromMinutes(2));
        await rates.GetAsync(PaymentMethod.Btc, "USD", default);
        Assert.Equal(before + 2, factory.Chain.PriceCalls);
    }
}

/// <summary>A crash between "seen" and "confirmed": a second server instance on the same database finishes the job.</summary>
public sealed class CryptoCrashTests
{
    [Fact]
    public async Task A_second_instance_on_the_same_database_credits_what_the_first_only_saw()
    {
        var first = new PaymentsAppFactory();
        await first.InitializeAsync();
        try
        {
            var user = await MoneyTestData.CreateUserAsync(first);
            var p = await PaymentTestData.CreatePaymentAsync(first, user.Id, "btc", 100m);
            var address = p.GetProperty("crypto").GetProperty("address").GetString()!;
            var txid = first.Chain.Pay("btc", address, 200_000);
            await using (var scope = first.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<CryptoWatcher>().RunOnceAsync(default);
            Assert.Equal(0, await MoneyTestData.BalanceAsync(first, user.Id));

            // The first instance "dies"; a fresh one (new container, new caches) starts on the same database.
            first.Chain.SetPrice("bitcoin", "usd", 1m);
            var tip = first.Chain.Tip("btc");
            first.Chain.Confirm("btc", txid, tip - 1);
            await using var second = first.WithWebHostBuilder(_ => { });
            await using (var scope = second.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<CryptoWatcher>().RunOnceAsync(default);
            await using (var scope = first.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<CryptoWatcher>().RunOnceAsync(default);

            Assert.Equal(100_00, await MoneyTestData.BalanceAsync(first, user.Id));
            Assert.Equal(1, await first.WithDb(db => db.CryptoTransfers.CountAsync(t => t.Txid == txid && t.CreditedAt != null)));
            await MoneyTestData.AssertLedgerOkAsync(first);
        }
        finally
        {
            await ((IAsyncLifetime)first).DisposeAsync();
        }
    }
}
