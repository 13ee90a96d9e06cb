using Bazaar.Server.Checks;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Checks;

public sealed class CheckCreditsTests(ChecksAppFactory app) : IClassFixture<ChecksAppFactory>
{
    private Task<T> Credits<T>(Func<CheckCredits, Task<T>> work) => app.Credits(work);

    private Task<long> Balance(long userId) => app.CreditBalance(userId);

    [Fact]
    public async Task Simultaneous_grants_with_one_idempotency_key_add_the_credits_once()
    {
        var u = await MoneyTestData.CreateUserAsync(app);
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() =>
            Credits(c => c.GrantAsync(u.Id, 5, $"test:grant:{u.Id}", "test", CancellationToken.None)))));

        Assert.Single(results, r => r.Ok);
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(PostError.Duplicate, r.Error));
        Assert.Equal(5, await Balance(u.Id));
        // Credits are not money: the wallet shows no CREDIT balance.
        Assert.Empty(await app.WithDb(db => WalletModule.Balances(db, u.Id, CancellationToken.None)));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Ten_simultaneous_spends_of_one_credit_let_exactly_one_through()
    {
        var u = await MoneyTestData.CreateUserAsync(app);
        await Credits(c => c.GrantAsync(u.Id, 1, $"test:one:{u.Id}", "test", CancellationToken.None));

        var results = await Task.WhenAll(Enumerable.Range(1, 10).Select(i => Task.Run(() =>
            Credits(c => c.SpendAsync(u.Id, 1_000_000 + u.Id * 100 + i, CancellationToken.None)))));

        Assert.Single(results, r => r.Ok);
        Assert.All(results.Where(r => !r.Ok), r => Assert.Equal(PostError.InsufficientFunds, r.Error));
        Assert.Equal(0, await Balance(u.Id));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_refund_races_itself_and_gives_the_credit_back_once()
    {
        var u = await MoneyTestData.CreateUserAsync(app);
        var check = 2_000_000 + u.Id;
        await Credits(c => c.GrantAsync(u.Id, 1, $"test:r:{u.Id}", "test", CancellationToken.None));
        Assert.True((await Credits(c => c.SpendAsync(u.Id, check, CancellationToken.None))).Ok);
        Assert.Equal(PostError.Duplicate, (await Credits(c => c.SpendAsync(u.Id, check, CancellationToken.None))).Error);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Credits(c => c.RefundAsync(u.Id, check, "source unavailable", CancellationToken.None)))));

        Assert.Single(results, r => r.Ok);
        Assert.Equal(1, await Balance(u.Id));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task A_refused_spend_inside_the_callers_transaction_undoes_only_itself()
    {
        var u = await MoneyTestData.CreateUserAsync(app);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var credits = scope.ServiceProvider.GetRequiredService<CheckCredits>();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            await credits.GrantAsync(u.Id, 2, $"test:tx:{u.Id}", "test", CancellationToken.None);
            Assert.True((await credits.SpendAsync(u.Id, 3_000_000 + u.Id, CancellationToken.None)).Ok);
            Assert.True((await credits.SpendAsync(u.Id, 3_100_000 + u.Id, CancellationToken.None)).Ok);
            // The third is refused; the transaction goes on and commits the first two.
            Assert.Equal(PostError.InsufficientFunds, (await credits.SpendAsync(u.Id, 3_200_000 + u.Id, CancellationToken.None)).Error);
            await tx.CommitAsync();
        }
        Assert.Equal(0, await Balance(u.Id));
        Assert.Equal(2, await app.WithDb(db2 => db2.LedgerTransactions.CountAsync(t => t.Kind == "credit_spend" &&
            (t.ExternalRef == CheckCredits.SpendKey(3_000_000 + u.Id) || t.ExternalRef == CheckCredits.SpendKey(3_100_000 + u.Id) ||
             t.ExternalRef == CheckCredits.SpendKey(3_200_000 + u.Id)))));
        await MoneyTestData.AssertLedgerOkAsync(app);
    }

    [Fact]
    public async Task Balance_shows_the_credits_beside_the_money_in_both_languages()
    {
        var en = Updates.NewUserId();
        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(en, "/start"), Updates.Text(ru, "/start", lang: "ru"));
        var ue = await app.UserOf(en);
        var ur = await app.UserOf(ru);
        await Credits(c => c.GrantAsync(ue.Id, 3, $"test:bal:{ue.Id}", "test", CancellationToken.None));
        await Credits(c => c.GrantAsync(ur.Id, 7, $"test:bal:{ur.Id}", "test", CancellationToken.None));

        await app.Send(Updates.Text(en, "/balance"), Updates.Text(ru, "/balance", lang: "ru"));

        Assert.Contains("Check credits: <b>3</b>", (await app.TextsFor(en)).Last());
        Assert.Contains("Кредиты на проверки: <b>7</b>", (await app.TextsFor(ru)).Last());
    }

    [Fact]
    public async Task Credits_cannot_be_used_as_money_in_a_wallet_adjustment()
    {
        var u = await MoneyTestData.CreateUserAsync(app);
        using var client = app.AdminClient();
        var r = await client.PostJson($"/api/v1/admin/wallets/{u.Id}/adjust", new { amount = 5, currency = "CREDIT", reason = "x" });
        Assert.Equal(400, (int)r.StatusCode);
    }
}
