using System.Net;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Wallet;

public sealed class LedgerTests(AppFactory factory) : IClassFixture<AppFactory>
{
    private async Task<T> WithLedger<T>(Func<Ledger, Task<T>> work)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<Ledger>());
    }

    private Task<PostResult> Fund(long userId, long amount, string currency = "USD") =>
        WithLedger(l => l.TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(userId), amount, currency, "deposit", null, default));

    [Fact]
    public async Task A_transfer_moves_money_with_balanced_entries_and_cached_balances()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        var b = await MoneyTestData.CreateUserAsync(factory);
        Assert.True((await Fund(a.Id, 10_00)).Ok);

        var r = await WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.Wallet(b.Id), 2_50, "USD", "transfer", null, default));

        Assert.True(r.Ok);
        Assert.Equal(7_50, await MoneyTestData.BalanceAsync(factory, a.Id));
        Assert.Equal(2_50, await MoneyTestData.BalanceAsync(factory, b.Id));
        var entries = await factory.WithDb(db => db.LedgerEntries.Where(e => e.TransactionId == r.TransactionId).ToListAsync());
        Assert.Equal(2, entries.Count);
        Assert.Equal(0, entries.Sum(e => e.Amount));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_wallet_cannot_go_below_zero_and_a_refused_debit_leaves_no_trace()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        await Fund(a.Id, 1_00);
        var before = await factory.WithDb(db => db.LedgerTransactions.CountAsync());

        var r = await WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.SalesRevenue, 1_01, "USD", "purchase", null, default));

        Assert.Equal(PostError.InsufficientFunds, r.Error);
        Assert.Equal(1_00, await MoneyTestData.BalanceAsync(factory, a.Id));
        Assert.Equal(before, await factory.WithDb(db => db.LedgerTransactions.CountAsync()));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_debit_to_exactly_zero_succeeds_and_one_minor_unit_more_is_refused()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        await Fund(a.Id, 1_00);

        var exact = await WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.SalesRevenue, 1_00, "USD", "purchase", null, default));
        Assert.True(exact.Ok);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, a.Id));

        var more = await WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.SalesRevenue, 1, "USD", "purchase", null, default));
        Assert.Equal(PostError.InsufficientFunds, more.Error);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, a.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Unbalanced_and_unknown_currency_postings_are_refused()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        var unbalanced = await WithLedger(l => l.PostAsync(new Posting("x", "USD",
            [new Leg(AccountRef.SalesRevenue, -5), new Leg(AccountRef.Wallet(a.Id), 4)]), default));
        var unknown = await WithLedger(l => l.TransferAsync(AccountRef.SalesRevenue, AccountRef.Wallet(a.Id), 5, "XYZ", "x", null, default));
        Assert.Equal(PostError.Unbalanced, unbalanced.Error);
        Assert.Equal(PostError.UnknownCurrency, unknown.Error);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_posting_with_the_same_external_reference_happens_once_even_concurrently()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        var reference = $"test:{Guid.NewGuid():N}";
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() =>
            WithLedger(l => l.TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(a.Id), 3_00, "USD", "deposit", reference, default)))));

        Assert.Equal(1, results.Count(r => r.Ok));
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(PostError.Duplicate, r.Error));
        Assert.Equal(3_00, await MoneyTestData.BalanceAsync(factory, a.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_duplicate_inside_the_callers_transaction_is_refused_and_the_transaction_goes_on()
    {
        // On PostgreSQL a unique violation would abort the caller's whole transaction; the duplicate must be a plain answer.
        var a = await MoneyTestData.CreateUserAsync(factory);
        var reference = $"test:{Guid.NewGuid():N}";
        Assert.True((await WithLedger(l => l.TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(a.Id), 2_00, "USD", "deposit", reference, default))).Ok);

        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var ledger = scope.ServiceProvider.GetRequiredService<Ledger>();
            await using var tx = await db.Database.BeginTransactionAsync();
            var again = await ledger.TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(a.Id), 2_00, "USD", "deposit", reference, default);
            Assert.Equal(PostError.Duplicate, again.Error);
            var other = await ledger.TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(a.Id), 1_00, "USD", "deposit", reference + ":2", default);
            Assert.True(other.Ok);
            await tx.CommitAsync();
        }

        Assert.Equal(3_00, await MoneyTestData.BalanceAsync(factory, a.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Twenty_concurrent_debits_where_three_fit_leave_exactly_three_through()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        await Fund(a.Id, 100_00);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() =>
            WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.SalesRevenue, 30_00, "USD", "purchase", null, default)))));

        Assert.Equal(3, results.Count(r => r.Ok));
        Assert.Equal(17, results.Count(r => r.Error == PostError.InsufficientFunds));
        Assert.Equal(10_00, await MoneyTestData.BalanceAsync(factory, a.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Opposite_concurrent_transfers_between_two_wallets_neither_deadlock_nor_lose_money()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        var b = await MoneyTestData.CreateUserAsync(factory);
        await Fund(a.Id, 50_00);
        await Fund(b.Id, 50_00);

        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => Task.Run(() => i % 2 == 0
            ? WithLedger(l => l.TransferAsync(AccountRef.Wallet(a.Id), AccountRef.Wallet(b.Id), 1_00, "USD", "transfer", null, default))
            : WithLedger(l => l.TransferAsync(AccountRef.Wallet(b.Id), AccountRef.Wallet(a.Id), 1_00, "USD", "transfer", null, default)))));

        Assert.Equal(100_00, await MoneyTestData.BalanceAsync(factory, a.Id) + await MoneyTestData.BalanceAsync(factory, b.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Concurrent_HTTP_debits_over_the_balance_get_409_and_only_the_ones_that_fit_succeed()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        var credit = await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 10.00m, currency = "USD", reason = "opening balance" });
        Assert.Equal(HttpStatusCode.OK, credit.StatusCode);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = -3.00m, currency = "USD", reason = "race" })));

        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.OK)) await r.AssertProblem(409, "insufficient_funds");
        Assert.Equal(1_00, await MoneyTestData.BalanceAsync(factory, a.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Admin_wallet_routes_take_the_id_the_channel_shows_with_channel()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();
        var credit = await client.PostJson($"/api/v1/admin/wallets/{a.ExternalId}/adjust?channel=telegram", new { amount = 7m, currency = "USD", reason = "goodwill" });
        Assert.Equal(HttpStatusCode.OK, credit.StatusCode);
        Assert.Equal(7_00, await MoneyTestData.BalanceAsync(factory, a.Id));

        var wallet = await (await client.GetAsync($"/api/v1/admin/wallets/{a.ExternalId}?channel=Telegram")).ReadJson();
        Assert.Equal(a.Id, wallet.GetProperty("userId").GetInt64());
        var user = await (await client.GetAsync($"/api/v1/admin/users/{a.ExternalId}?channel=telegram")).ReadJson();
        Assert.Equal(a.Id, user.GetProperty("id").GetInt64());

        var missing = await (await client.GetAsync("/api/v1/admin/wallets/987654321987")).AssertProblem(404, "user_not_found");
        Assert.Contains("?channel=telegram", missing.GetProperty("detail").GetString());
        var missingTg = await (await client.GetAsync("/api/v1/admin/wallets/987654321987?channel=telegram")).AssertProblem(404, "user_not_found");
        Assert.Contains("No telegram user 987654321987", missingTg.GetProperty("detail").GetString());
        await (await client.GetAsync($"/api/v1/admin/wallets/{a.ExternalId}?channel=fax")).AssertProblem(400, "invalid_channel");
    }

    [Fact]
    public async Task An_adjustment_needs_a_reason_and_is_attributed_to_the_caller()
    {
        var a = await MoneyTestData.CreateUserAsync(factory);
        using var client = factory.AdminClient();

        await (await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 5m, currency = "USD", reason = " " })).AssertProblem(400, "reason_required");
        await (await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 5.001m, currency = "USD", reason = "x" })).AssertProblem(400, "invalid_amount");
        await (await client.PostJson("/api/v1/admin/wallets/999999999/adjust", new { amount = 5m, currency = "USD", reason = "x" })).AssertProblem(404, "user_not_found");
        var ok = await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 5.25m, reason = "goodwill for late delivery" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(5.25m, (await ok.ReadJson()).GetProperty("balance").GetDecimal());

        var wallet = await (await client.GetAsync($"/api/v1/admin/wallets/{a.Id}")).ReadJson();
        Assert.Equal("USD", wallet.GetProperty("balances")[0].GetProperty("currency").GetString());
        Assert.Equal(525, wallet.GetProperty("balances")[0].GetProperty("amountMinor").GetInt64());
        var movement = wallet.GetProperty("movements")[0];
        Assert.Equal("adjustment", movement.GetProperty("kind").GetString());
        Assert.Equal("goodwill for late delivery", movement.GetProperty("reason").GetString());
        Assert.Contains("bootstrap", movement.GetProperty("createdBy").GetString());
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Currency_scales_convert_exactly()
    {
        Assert.True(Currencies.TryToMinor(0.00000001m, "BTC", out var sat));
        Assert.Equal(1, sat);
        Assert.False(Currencies.TryToMinor(1.5m, "XTR", out _));
        Assert.True(Currencies.TryToMinor(12.34m, "PLN", out var grosze));
        Assert.Equal(1234, grosze);
        Assert.Equal("12.34 PLN", Currencies.Format(1234, "PLN"));
        await Task.CompletedTask;
    }
}

/// <summary>Verify must really catch damage, or it proves nothing; each test gets its own database here.</summary>
public sealed class LedgerVerifyTests
{
    [Fact]
    public async Task Verify_reports_a_cached_balance_that_differs_from_its_entries_and_an_unbalanced_transaction()
    {
        var factory = new AppFactory();
        await ((IAsyncLifetime)factory).InitializeAsync();
        try
        {
            var a = await MoneyTestData.CreateUserAsync(factory);
            using var client = factory.AdminClient();
            await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 10m, currency = "USD", reason = "seed" });
            await MoneyTestData.AssertLedgerOkAsync(factory);

            var key = $"wallet:{a.Id}";
            await factory.WithDb(db => db.LedgerAccounts.Where(x => x.Key == key).ExecuteUpdateAsync(s => s.SetProperty(x => x.Balance, 999)));
            await factory.WithDb(async db =>
            {
                var e = await db.LedgerEntries.OrderBy(x => x.Id).FirstAsync();
                await db.LedgerEntries.Where(x => x.Id == e.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.Amount, x => x.Amount + 1));
            });

            var body = await (await client.GetAsync("/api/v1/admin/ledger/verify")).ReadJson();
            Assert.False(body.GetProperty("ok").GetBoolean());
            Assert.Contains(body.GetProperty("mismatches").EnumerateArray(), m => m.GetProperty("key").GetString() == key && m.GetProperty("cachedBalance").GetInt64() == 999);
            Assert.Equal(1, body.GetProperty("unbalanced").GetArrayLength());
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }

    [Fact]
    public async Task Verify_reports_a_wallet_forced_negative_even_when_its_entries_add_up()
    {
        var factory = new AppFactory();
        await ((IAsyncLifetime)factory).InitializeAsync();
        try
        {
            var a = await MoneyTestData.CreateUserAsync(factory);
            using var client = factory.AdminClient();
            await client.PostJson($"/api/v1/admin/wallets/{a.Id}/adjust", new { amount = 10m, currency = "USD", reason = "seed" });
            await MoneyTestData.AssertLedgerOkAsync(factory);

            // Turn the credit round by hand: every entry and every cached balance negated, so the books still
            // balance and match, and only the wallet's sign is wrong.
            await factory.WithDb(async db =>
            {
                await db.LedgerEntries.ExecuteUpdateAsync(s => s.SetProperty(x => x.Amount, x => -x.Amount));
                await db.LedgerAccounts.ExecuteUpdateAsync(s => s.SetProperty(x => x.Balance, x => -x.Balance));
            });

            var body = await (await client.GetAsync("/api/v1/admin/ledger/verify")).ReadJson();
            Assert.False(body.GetProperty("ok").GetBoolean());
            Assert.Equal(0, body.GetProperty("mismatches").GetArrayLength());
            Assert.Equal(0, body.GetProperty("unbalanced").GetArrayLength());
            var negative = Assert.Single(body.GetProperty("negativeWallets").EnumerateArray());
            Assert.Equal($"wallet:{a.Id}", negative.GetProperty("key").GetString());
            Assert.Equal(-1000, negative.GetProperty("balance").GetInt64());
        }
        finally
        {
            await ((IAsyncLifetime)factory).DisposeAsync();
        }
    }
}
