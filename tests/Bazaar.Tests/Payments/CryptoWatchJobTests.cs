using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Tests.Jobs;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Payments;

/// <summary>The crypto watcher runs as a recurring job; the tests step the scheduler and a worker on the fake clock.</summary>
public sealed class CryptoWatchJobTests : IAsyncLifetime
{
    private sealed class PollingFactory : PaymentsAppFactory
    {
        protected override string PollSeconds => "60";
        protected override string Confirmations => "1";
    }

    private readonly PollingFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    private async Task<(long UserId, string Txid)> PaidDepositAsync(decimal usd)
    {
        var user = await MoneyTestData.CreateUserAsync(_app);
        var p = await PaymentTestData.CreatePaymentAsync(_app, user.Id, "btc", usd);
        var txid = _app.Chain.Pay("btc", p.GetProperty("crypto").GetProperty("address").GetString()!,
            p.GetProperty("crypto").GetProperty("amountSats").GetInt64(), _app.Chain.Tip("btc"));
        return (user.Id, txid);
    }

    [Fact]
    public async Task The_recurring_job_runs_the_watcher_once_per_period_across_schedulers_and_credits_a_confirmed_payment()
    {
        var definition = Assert.Single(_app.Services.GetRequiredService<JobScheduler>().Definitions, d => d.Name == CryptoWatchJob.Type);
        Assert.Equal("every:60", definition.Schedule);
        Assert.Equal(0, await JobSteps.TickAsync(_app)); // registers; first fire one period from now

        var (userId, _) = await PaidDepositAsync(10m);
        Assert.Empty(await JobSteps.DrainAsync(_app));
        _app.Clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await JobSteps.TickAsync(_app));
        Assert.Equal(0, await MoneyTestData.BalanceAsync(_app, userId));

        var a = _app.Services.GetRequiredService<JobScheduler>();
        var b = ActivatorUtilities.CreateInstance<JobScheduler>(_app.Services); // another server process
        for (var period = 1; period <= 2; period++)
        {
            _app.Clock.Advance(TimeSpan.FromSeconds(period == 1 ? 1 : 60));
            var fired = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
                Task.Run(() => (i % 2 == 0 ? a : b).RunOnceAsync(CancellationToken.None))));
            Assert.Equal(1, fired.Sum());
            Assert.Equal(period, (await JobSteps.JobsOfTypeAsync(_app, CryptoWatchJob.Type)).Count);

            var run = Assert.Single(await JobSteps.DrainAsync(_app));
            Assert.Equal((CryptoWatchJob.Type, JobOutcome.Completed), (run.Type, run.Outcome));
            Assert.Equal(10_00, await MoneyTestData.BalanceAsync(_app, userId)); // credited in period 1, not again in period 2
        }
        Assert.All(await JobSteps.JobsOfTypeAsync(_app, CryptoWatchJob.Type), j => Assert.Equal(JobStatus.Completed, j.Status));
        await MoneyTestData.AssertLedgerOkAsync(_app);
    }

    [Fact]
    public async Task A_watch_that_throws_is_retried_by_the_job_queue_with_backoff()
    {
        await JobSteps.TickAsync(_app);
        var (userId, txid) = await PaidDepositAsync(20m);
        _app.Chain.Garbled = true;
        _app.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await JobSteps.TickAsync(_app));

        var failed = Assert.Single(await JobSteps.DrainAsync(_app));
        Assert.Equal(JobOutcome.Retrying, failed.Outcome);
        var job = await _app.WithDb(db => db.Jobs.FindAsync(failed.JobId).AsTask());
        Assert.Equal(JobStatus.Queued, job!.Status);
        Assert.Equal(1, job.Attempts);
        Assert.Contains("KeyNotFoundException", job.LastError);
        Assert.True(job.RunAt > _app.Clock.GetUtcNow().UtcDateTime); // backing off, not due at once
        Assert.Equal(0, await MoneyTestData.BalanceAsync(_app, userId));

        _app.Chain.Garbled = false;
        _app.Clock.Advance(TimeSpan.FromSeconds(10)); // the first retry waits at most Jobs:BackoffBaseSeconds (10)
        var retried = Assert.Single(await JobSteps.DrainAsync(_app));
        Assert.Equal((failed.JobId, JobOutcome.Completed, 2), (retried.JobId, retried.Outcome, retried.Attempt));
        Assert.Equal(20_00, await MoneyTestData.BalanceAsync(_app, userId));
        Assert.NotNull((await _app.WithDb(db => db.CryptoTransfers.SingleAsync(t => t.Txid == txid))).CreditedAt);
    }
}

public sealed class CryptoWatchJobRegistrationTests
{
    [Fact]
    public async Task Without_a_poll_interval_the_watch_job_is_not_registered()
    {
        var app = new PaymentsAppFactory(); // Payments:Crypto:PollSeconds = 0
        await app.InitializeAsync();
        try
        {
            Assert.DoesNotContain(app.Services.GetRequiredService<JobScheduler>().Definitions, d => d.JobType == CryptoWatchJob.Type);
            Assert.False(app.Services.GetRequiredService<JobHandlerRegistry>().Handles(CryptoWatchJob.Type));
            Assert.True(app.Services.GetRequiredService<JobHandlerRegistry>().Handles(Bazaar.Server.Channels.OutboxCleanupJob.Type));
        }
        finally
        {
            await ((IAsyncLifetime)app).DisposeAsync();
        }
    }
}
