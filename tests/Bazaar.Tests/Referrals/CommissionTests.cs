using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Referrals;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Referrals;

/// <summary>3% of each completed deposit, from the referral-expense account, once per deposit, reversed on refund.</summary>
public sealed class CommissionTests(ReferralsAppFactory factory) : IClassFixture<ReferralsAppFactory>
{
    private Task<long> ExpenseBalance() => factory.WithDb(db =>
        db.LedgerAccounts.Where(a => a.Key == AccountRef.ReferralExpense.Key && a.Currency == "USD").Select(a => a.Balance).FirstOrDefaultAsync());

    [Fact]
    public async Task Eight_identical_deposit_callbacks_at_once_pay_the_commission_once()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var expenseBefore = await ExpenseBalance();

        var paymentId = await factory.RobokassaDeposit(bob.Id, 100.50m, callbacks: 8);

        Assert.Equal(100_50, await MoneyTestData.BalanceAsync(factory, bob.Id));
        // 3% of 100.50 is 3.015: rounded down to 3.01.
        Assert.Equal(3_01, await MoneyTestData.BalanceAsync(factory, alice.Id));
        var c = Assert.Single(await factory.CommissionsOf(alice.Id));
        Assert.Equal((paymentId, bob.Id, 3_01L, "USD"), (c.PaymentId, c.RefereeId, c.Amount, c.Currency));
        Assert.Equal(expenseBefore - 3_01, await ExpenseBalance());
        var posted = await factory.WithDb(db => db.LedgerTransactions.AsNoTracking()
            .Where(t => t.ExternalRef == ReferralService.CommissionRef($"payment:{paymentId}")).Include(t => t.Entries).SingleAsync());
        Assert.Equal("referral_commission", posted.Kind);
        Assert.Single(await factory.Texts(aliceTg), t => t.Contains("Referral commission: <b>+3.01 USD</b> from a deposit by Bob"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task The_same_completion_delivered_twice_to_the_listener_pays_once()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var paymentId = await factory.RobokassaDeposit(bob.Id, 10m);
        var payment = await factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == paymentId));

        // As if a second path reported the same credit: the commission row's unique reference refuses it.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            await using var tx = await db.Database.BeginTransactionAsync();
            foreach (var l in scope.ServiceProvider.GetServices<IPaymentListener>())
                await l.OnCompletedAsync(payment, payment.Amount, payment.Currency, $"payment:{paymentId}", default);
            await tx.CommitAsync();
        }

        Assert.Single(await factory.CommissionsOf(alice.Id));
        Assert.Equal(30, await MoneyTestData.BalanceAsync(factory, alice.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Each_deposit_pays_its_own_commission_and_users_without_a_referrer_pay_none()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var (_, loner) = await factory.Starter("Loner");

        await factory.RobokassaDeposit(bob.Id, 10m);
        await factory.StarsDeposit(bob.Id, 20m);
        await factory.RobokassaDeposit(loner.Id, 50m);

        Assert.Equal([30L, 60L], (await factory.CommissionsOf(alice.Id)).Select(c => c.Amount));
        Assert.Equal(90, await MoneyTestData.BalanceAsync(factory, alice.Id));
        Assert.Empty(await factory.WithDb(db => db.ReferralCommissions.Where(c => c.RefereeId == loner.Id).ToListAsync()));
    }

    [Fact]
    public async Task A_refunded_deposit_takes_its_commission_back()
    {
        var (aliceTg, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var paymentId = await factory.StarsDeposit(bob.Id, 20m);
        Assert.Equal(60, await MoneyTestData.BalanceAsync(factory, alice.Id));

        using var client = factory.AdminClient();
        var r = await client.PostAsync($"/api/v1/admin/payments/{paymentId}/refund", null);

        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, bob.Id));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, alice.Id));
        var c = Assert.Single(await factory.CommissionsOf(alice.Id));
        Assert.Equal(60, c.ReversedAmount);
        Assert.NotNull(c.ReversedAt);
        Assert.Contains(await factory.Texts(aliceTg), t => t.Contains("commission was taken back: <b>−0.60 USD</b>"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_refund_refused_by_Telegram_gives_the_commission_back()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var paymentId = await factory.StarsDeposit(bob.Id, 20m);
        factory.Bot.FailNext("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND");

        using var client = factory.AdminClient();
        var r = await client.PostAsync($"/api/v1/admin/payments/{paymentId}/refund", null);

        Assert.Equal(502, (int)r.StatusCode);
        Assert.Equal(20_00, await MoneyTestData.BalanceAsync(factory, bob.Id));
        Assert.Equal(60, await MoneyTestData.BalanceAsync(factory, alice.Id));
        var c = Assert.Single(await factory.CommissionsOf(alice.Id));
        Assert.Equal((0L, (DateTime?)null), (c.ReversedAmount, c.ReversedAt));
        await MoneyTestData.AssertLedgerOkAsync(factory);

        // A later refund that goes through takes it back once.
        Assert.Equal(200, (int)(await client.PostAsync($"/api/v1/admin/payments/{paymentId}/refund", null)).StatusCode);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, alice.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_commission_already_spent_is_taken_back_only_as_far_as_the_wallet_holds()
    {
        var (_, alice) = await factory.Starter("Alice");
        var (_, bob) = await factory.Invitee(alice, "Bob");
        var paymentId = await factory.StarsDeposit(bob.Id, 20m);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var spent = await scope.ServiceProvider.GetRequiredService<Ledger>()
                .TransferAsync(AccountRef.Wallet(alice.Id), AccountRef.SalesRevenue, 45, "USD", "purchase", null, default);
            Assert.True(spent.Ok);
        }

        using var client = factory.AdminClient();
        Assert.Equal(200, (int)(await client.PostAsync($"/api/v1/admin/payments/{paymentId}/refund", null)).StatusCode);

        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, alice.Id));
        Assert.Equal(15, Assert.Single(await factory.CommissionsOf(alice.Id)).ReversedAmount);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
}
