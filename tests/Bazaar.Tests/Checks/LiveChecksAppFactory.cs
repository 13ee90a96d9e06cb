using Bazaar.Server.Checks;
using Bazaar.Tests.Fakes;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Checks;

/// <summary>
/// The checks server with the live Instagram source on, pointed at a <see cref="FakeInstagramApi"/>: short pacing and
/// backoff (on the fake clock), two attempts per check job, and a long job lease so a test moving the clock quickly
/// never takes a running check from its worker.
/// </summary>
public sealed class LiveChecksAppFactory : ChecksAppFactory
{
    public const int PageDelaySeconds = 2;
    public const int BackoffSeconds = 30;
    public const int MaxAccounts = 1_000;
    public FakeInstagramApi Instagram { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Instagram = await FakeInstagramApi.StartAsync(Clock);
        With("Checks:Instagram:SessionId", FakeInstagramApi.SessionId);
        With("Checks:Instagram:BaseUrl", Instagram.BaseUrl);
        With("Checks:Instagram:PageDelaySeconds", PageDelaySeconds.ToString());
        With("Checks:Instagram:RateLimitBackoffSeconds", BackoffSeconds.ToString());
        With("Checks:Instagram:RateLimitRetries", "2");
        With("Checks:Instagram:MaxAccounts", MaxAccounts.ToString());
        With("Jobs:LeaseSeconds", "3600");
        With("Jobs:Types:check:MaxAttempts", "2");
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Instagram?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs the check jobs with <paramref name="workers"/> workers at once while the clock moves a second every 10 ms
    /// (pacing and backoff wait on it), until the given checks have ended.
    /// </summary>
    public async Task RunUntilEnded(int workers, params long[] checkIds)
    {
        using var stop = new CancellationTokenSource();
        var ticker = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }
        });
        var loops = Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                if (await JobRunner.RunOnceAsync($"live-worker-{w}", CancellationToken.None) is null) await Task.Delay(5);
        })).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        try
        {
            while (true)
            {
                var open = await WithDb(db => db.Checks.CountAsync(c => checkIds.Contains(c.Id) &&
                    (c.Status == CheckStatus.Queued || c.Status == CheckStatus.Running)));
                if (open == 0) break;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{open} check(s) still open after 120 s.");
                await Task.Delay(20);
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(loops.Append(ticker));
        }
    }
}
