using System.Net;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

/// <summary>The recovery job runs at most three times here, so exhausting it is quick.</summary>
public sealed class StarsRefundAppFactory : PaymentsAppFactory
{
    public override async Task InitializeAsync()
    {
        With($"Jobs:Types:{StarsRefundJob.JobType}:MaxAttempts", "3");
        With("Payments:Stars:RefundRecoverySeconds", "300");
        await base.InitializeAsync();
    }
}

/// <summary>
/// Stars refunds: one short transaction reverses and marks REFUNDING, Telegram is called with no transaction
/// open, then the refund is finished or compensated; a recovery job finishes what a failed request left.
/// </summary>
public sealed class StarsRefundTests(StarsRefundAppFactory factory) : IClassFixture<StarsRefundAppFactory>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private async Task<(long Id, Bazaar.Server.Data.ChatUser User, string Charge)> CompletedPayment(decimal usd = 2m)
    {
        var user = await MoneyTestData.CreateUserAsync(factory);
        var id = (await PaymentTestData.CreatePaymentAsync(factory, user.Id, "stars", usd)).GetProperty("id").GetInt64();
        var charge = "charge-" + Guid.NewGuid().ToString("N");
        await using var scope = factory.Services.CreateAsyncScope();
        var done = await scope.ServiceProvider.GetRequiredService<StarsPayments>()
            .CompleteStarsPaymentAsync(charge, $"pay:{id}", (long)(usd * 50), default);
        Assert.Equal(CompleteOutcome.Completed, done.Outcome);
        return (id, user, charge);
    }

    private Task<Payment> PaymentOf(long id) => factory.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.Id == id));

    private Task<Job?> RecoveryJob(long id, int attempt) =>
        factory.WithDb(db => db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.IdempotencyKey == StarsRefundJob.KeyFor(id, attempt)));

    private Task<List<string?>> RefundRefs(long id) =>
        factory.WithDb(db => db.LedgerTransactions.AsNoTracking().Where(t => t.ExternalRef!.StartsWith($"payment:{id}:refund"))
            .OrderBy(t => t.Id).Select(t => t.ExternalRef).ToListAsync());

    private int RefundCalls(string charge) => factory.Bot.CallsOf("refundStarPayment").Count(c => c.Str("telegram_payment_charge_id") == charge);

    private async Task<List<JobRun>> RunJobs()
    {
        var runner = factory.Services.GetRequiredService<JobRunner>();
        var runs = new List<JobRun>();
        while (await runner.RunOnceAsync("test-worker", CancellationToken.None) is { } run) runs.Add(run);
        return runs;
    }

    [Fact]
    public async Task No_transaction_is_open_while_Telegram_holds_the_refund_call_and_other_writes_go_through()
    {
        var (id, user, charge) = await CompletedPayment(2m);
        var other = await MoneyTestData.CreateUserAsync(factory);
        var hold = factory.Bot.HoldNext("refundStarPayment");
        using var client = factory.AdminClient();

        var refund = client.PostAsync($"/api/v1/admin/payments/{id}/refund", null);
        await hold.Entered.Task.WaitAsync(Wait);

        // Step 1 committed before the call: another scope sees REFUNDING and the reversed wallet.
        Assert.Equal(PaymentStatus.Refunding, (await PaymentOf(id)).Status);
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        // Writes from other scopes complete while Telegram holds the call (on SQLite they need the single writer lock).
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var posted = await scope.ServiceProvider.GetRequiredService<Ledger>()
                .TransferAsync(AccountRef.OperatorAdjustments, AccountRef.Wallet(other.Id), 5_00, "USD", "adjustment", null, default).WaitAsync(Wait);
            Assert.True(posted.Ok);
        }
        var (otherPayment, _, _) = await CompletedPayment(1m).WaitAsync(Wait);
        Assert.Equal(PaymentStatus.Completed, (await PaymentOf(otherPayment)).Status);
        Assert.False(refund.IsCompleted);

        hold.Release.SetResult();
        var response = await refund.WaitAsync(Wait);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("REFUNDED", (await response.ReadJson()).GetProperty("status").GetString());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal(5_00, await MoneyTestData.BalanceAsync(factory, other.Id));
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("refunded"));
        // The recovery job was neutralised: it never asks Telegram again.
        Assert.Equal(JobStatus.Cancelled, (await RecoveryJob(id, 1))!.Status);
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await RunJobs();
        Assert.Equal(1, RefundCalls(charge));
        Assert.Equal([StarsPayments.RefundRef(id, 1)], await RefundRefs(id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_Telegram_refusal_is_compensated_exactly_and_a_later_refund_of_the_same_payment_works()
    {
        var (id, user, charge) = await CompletedPayment(1m);
        factory.Bot.FailNext("refundStarPayment", 400, "Bad Request: CHARGE_NOT_FOUND");
        using var client = factory.AdminClient();

        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(502, "provider_failed");

        var p = await PaymentOf(id);
        Assert.Equal(PaymentStatus.Completed, p.Status);
        Assert.Null(p.RefundedAt);
        Assert.Equal(1_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal([StarsPayments.RefundRef(id, 1), StarsPayments.RefundRef(id, 1) + ":undo"], await RefundRefs(id));
        Assert.Equal(JobStatus.Cancelled, (await RecoveryJob(id, 1))!.Status);
        Assert.DoesNotContain(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("refunded"));
        await MoneyTestData.AssertLedgerOkAsync(factory);

        var again = await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("REFUNDED", (await again.ReadJson()).GetProperty("status").GetString());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal(2, RefundCalls(charge));
        Assert.Equal([StarsPayments.RefundRef(id, 1), StarsPayments.RefundRef(id, 1) + ":undo", StarsPayments.RefundRef(id, 2)], await RefundRefs(id));
        // The first attempt's job (had it not been cancelled) and the second's find nothing to do.
        factory.Clock.Advance(TimeSpan.FromHours(1));
        await RunJobs();
        Assert.Equal(2, RefundCalls(charge));
        Assert.Equal(PaymentStatus.Refunded, (await PaymentOf(id)).Status);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Of_concurrent_refunds_of_one_payment_exactly_one_proceeds_and_the_others_get_409()
    {
        var (id, user, charge) = await CompletedPayment(3m);
        using var client = factory.AdminClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => client.PostAsync($"/api/v1/admin/payments/{id}/refund", null))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var r in responses.Where(r => r.StatusCode != HttpStatusCode.OK)) await r.AssertProblem(409, "not_refundable");
        Assert.Equal(1, RefundCalls(charge));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal([StarsPayments.RefundRef(id, 1)], await RefundRefs(id));
        Assert.Equal(PaymentStatus.Refunded, (await PaymentOf(id)).Status);
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task When_Telegram_fails_with_500_the_payment_stays_refunding_and_the_recovery_job_finishes_the_refund()
    {
        var (id, user, charge) = await CompletedPayment(2m);
        factory.Bot.FailNext("refundStarPayment", 500, "Internal Server Error");
        using var client = factory.AdminClient();

        var response = await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("REFUNDING", (await response.ReadJson()).GetProperty("status").GetString());
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(409, "not_refundable");
        await MoneyTestData.AssertLedgerOkAsync(factory);

        // The job waits for its delay.
        await RunJobs();
        Assert.Equal(JobStatus.Queued, (await RecoveryJob(id, 1))!.Status);
        Assert.Equal(1, RefundCalls(charge));

        // Telegram had in fact refunded before the 500 got lost: its "already refunded" is taken as success.
        factory.Bot.FailNext("refundStarPayment", 400, "Bad Request: CHARGE_ALREADY_REFUNDED");
        factory.Clock.Advance(TimeSpan.FromSeconds(301));
        var runs = await RunJobs();

        Assert.Equal(JobOutcome.Completed, Assert.Single(runs, r => r.Type == StarsRefundJob.JobType).Outcome);
        var p = await PaymentOf(id);
        Assert.Equal(PaymentStatus.Refunded, p.Status);
        Assert.NotNull(p.RefundedAt);
        Assert.Equal(2, RefundCalls(charge));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal([StarsPayments.RefundRef(id, 1)], await RefundRefs(id));
        Assert.Contains(await PaymentTestData.TextsToAsync(factory, user.ExternalId), t => t.Contains("refunded"));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task A_process_that_died_after_step_one_is_finished_by_the_recovery_job_once_Telegram_answers()
    {
        var (id, user, charge) = await CompletedPayment(2m);
        // The request's call and the job's first two attempts meet an outage; the request's process "dies" with it.
        factory.Bot.FailNext("refundStarPayment", 502, "Bad Gateway", times: 3);
        using var client = factory.AdminClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).StatusCode);

        factory.Clock.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(JobOutcome.Retrying, Assert.Single(await RunJobs(), r => r.Type == StarsRefundJob.JobType).Outcome);
        Assert.Equal(PaymentStatus.Refunding, (await PaymentOf(id)).Status);
        factory.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(JobOutcome.Retrying, Assert.Single(await RunJobs(), r => r.Type == StarsRefundJob.JobType).Outcome);
        factory.Clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(JobOutcome.Completed, Assert.Single(await RunJobs(), r => r.Type == StarsRefundJob.JobType).Outcome);

        Assert.Equal(PaymentStatus.Refunded, (await PaymentOf(id)).Status);
        Assert.Equal(4, RefundCalls(charge));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(factory, user.Id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task When_the_recovery_job_exhausts_its_attempts_the_refund_is_compensated()
    {
        var (id, user, charge) = await CompletedPayment(2m);
        factory.Bot.FailNext("refundStarPayment", 500, "Internal Server Error", times: 4);
        using var client = factory.AdminClient();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).StatusCode);

        for (var i = 0; i < 3; i++)
        {
            factory.Clock.Advance(TimeSpan.FromHours(1));
            await RunJobs();
        }

        Assert.Equal(JobStatus.Completed, (await RecoveryJob(id, 1))!.Status);
        Assert.Equal(PaymentStatus.Completed, (await PaymentOf(id)).Status);
        Assert.Equal(4, RefundCalls(charge));
        Assert.Equal(2_00, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Equal([StarsPayments.RefundRef(id, 1), StarsPayments.RefundRef(id, 1) + ":undo"], await RefundRefs(id));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }

    [Fact]
    public async Task Insufficient_funds_is_409_and_leaves_no_trace()
    {
        var (id, user, charge) = await CompletedPayment(2m);
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            Assert.True((await scope.ServiceProvider.GetRequiredService<Ledger>()
                .TransferAsync(AccountRef.Wallet(user.Id), AccountRef.SalesRevenue, 1_50, "USD", "purchase", null, default)).Ok);
        }
        using var client = factory.AdminClient();

        await (await client.PostAsync($"/api/v1/admin/payments/{id}/refund", null)).AssertProblem(409, "insufficient_funds");

        Assert.Equal(0, RefundCalls(charge));
        Assert.Equal(PaymentStatus.Completed, (await PaymentOf(id)).Status);
        Assert.Equal(50, await MoneyTestData.BalanceAsync(factory, user.Id));
        Assert.Empty(await RefundRefs(id));
        Assert.Null(await RecoveryJob(id, 1));
        await MoneyTestData.AssertLedgerOkAsync(factory);
    }
}
