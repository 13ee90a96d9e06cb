using Bazaar.Server.Jobs;

namespace Bazaar.Server.Payments;

/// <summary>
/// The crypto watcher as a recurring job, every Payments:Crypto:PollSeconds. An exception is retried by the
/// job queue with backoff; an explorer that is down is only logged by the watcher, since the next poll retries it anyway.
/// </summary>
internal sealed class CryptoWatchJob(CryptoWatcher watcher) : IJobHandler
{
    public const string Type = "payments.crypto-watch";

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await watcher.RunOnceAsync(ct);

    /// <summary>
    /// Registered only with a poll interval and an explorer to ask (as the old hosted loop did): without an explorer
    /// the watcher has nothing to poll, and with one it still credits open deposits after their xpub was removed.
    /// </summary>
    public static void Register(IServiceCollection services, IConfiguration config)
    {
        var o = config.GetSection("Payments:Crypto").Get<PaymentsOptions.CryptoOptions>() ?? new();
        if (o.PollSeconds <= 0 || (string.IsNullOrWhiteSpace(o.Btc.ExplorerUrl) && string.IsNullOrWhiteSpace(o.Ltc.ExplorerUrl)))
            return;
        services.AddJobHandler<CryptoWatchJob>(Type);
        services.AddRecurringJob(Type, TimeSpan.FromSeconds(o.PollSeconds), Type);
    }
}
