using System.Collections.Concurrent;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Microsoft.EntityFrameworkCore;
using Prometheus;

namespace Bazaar.Server.Operations;

/// <summary>
/// The Prometheus series of one server, in a registry of its own (two servers in one test process do not mix).
/// Counters and histograms are moved where the thing happens, after its transaction commits; queue depths and ages
/// are read from the database when /metrics is scraped, so they are right across processes and after restarts.
/// On the update path a labelled child is looked up in a dictionary keyed by the (interned) label strings, so an
/// observation allocates nothing.
/// </summary>
public sealed class BazaarMetrics
{
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter _updates;
    private readonly Histogram _handlerSeconds;
    private readonly Histogram _receivedToHandledSeconds;
    private readonly Counter _outboxSent;
    private readonly Counter _outboxRateLimited;
    private readonly Counter _payments;
    private readonly Counter _outboxRounds;
    private readonly Gauge _updatesOpen;
    private readonly Gauge _outboxQueued;
    private readonly Gauge _jobsQueued;
    private readonly Gauge _jobsDue;
    private readonly Gauge _jobsOldestDueAge;

    private readonly ConcurrentDictionary<(string, string), Counter.Child> _updateChildren = new();
    private readonly ConcurrentDictionary<string, Histogram.Child> _handlerChildren = new();
    private readonly ConcurrentDictionary<string, Counter.Child> _sentChildren = new();
    private readonly ConcurrentDictionary<string, Counter.Child> _limitedChildren = new();

    public BazaarMetrics(IServiceScopeFactory scopes, TimeProvider clock)
    {
        var f = Metrics.WithCustomRegistry(Registry);
        _updates = f.CreateCounter("bazaar_updates_total", "Inbound updates by kind and final status (processed, ignored, failed, rate_limited).", "kind", "status");
        _handlerSeconds = f.CreateHistogram("bazaar_update_handler_seconds", "Time in the bot pipeline per update, by kind.",
            new HistogramConfiguration { LabelNames = ["kind"], Buckets = LatencyBuckets });
        _receivedToHandledSeconds = f.CreateHistogram("bazaar_update_received_to_handled_seconds",
            "From storing an update in the inbox to committing its handling (replies are in the outbox then).",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        _outboxSent = f.CreateCounter("bazaar_outbox_sent_total", "Messages and calls delivered by the outbox, by channel.", "channel");
        _outboxRateLimited = f.CreateCounter("bazaar_outbox_rate_limited_total", "429 Too Many Requests answers to the outbox, by channel.", "channel");
        _outboxRounds = f.CreateCounter("bazaar_outbox_rounds_total", "Outbox sender rounds; each reads the due rows from the database.");
        _payments = f.CreateCounter("bazaar_payments_total", "Payments reaching a status (PENDING = created), by method.", "method", "status");
        _updatesOpen = f.CreateGauge("bazaar_updates_open", "Inbound updates not handled yet (received or processing), read at scrape time.");
        _outboxQueued = f.CreateGauge("bazaar_outbox_queue_depth", "Outbox rows waiting or being sent, by status, read at scrape time.", "status");
        _jobsQueued = f.CreateGauge("bazaar_jobs_queued", "Queued jobs by type, due or not, read at scrape time.", "type");
        _jobsDue = f.CreateGauge("bazaar_jobs_due", "Queued jobs whose time has come, by type, read at scrape time.", "type");
        _jobsOldestDueAge = f.CreateGauge("bazaar_jobs_oldest_due_age_seconds", "How long the oldest due job of each type has waited, read at scrape time.", "type");
        foreach (var s in (string[])["pending", "sending"]) _outboxQueued.WithLabels(s).Set(0);
        Registry.AddBeforeCollectCallback(async ct => await ReadQueuesAsync(scopes, clock, ct));
    }

    public void UpdateFinished(string kind, string status) =>
        _updateChildren.GetOrAdd((kind, status), static (k, c) => c.WithLabels(k.Item1, k.Item2), _updates).Inc();

    public void UpdateHandled(string kind, double handlerSeconds, double receivedToHandledSeconds)
    {
        _handlerChildren.GetOrAdd(kind, static (k, h) => h.WithLabels(k), _handlerSeconds).Observe(handlerSeconds);
        if (receivedToHandledSeconds >= 0) _receivedToHandledSeconds.Observe(receivedToHandledSeconds);
    }

    public void OutboxSent(string channel) => _sentChildren.GetOrAdd(channel, static (k, c) => c.WithLabels(k), _outboxSent).Inc();

    public void OutboxRound() => _outboxRounds.Inc();

    public double OutboxRounds => _outboxRounds.Value;

    public void OutboxRateLimited(string channel) => _limitedChildren.GetOrAdd(channel, static (k, c) => c.WithLabels(k), _outboxRateLimited).Inc();

    public void Payment(PaymentMethod method, PaymentStatus status) =>
        _payments.WithLabels(method.WireName(), status.ToString().ToUpperInvariant()).Inc();

    /// <summary>Counts a payment's new status once the caller's transaction commits (at once when none is open).</summary>
    public void PaymentAfterCommit(DbContext db, PaymentMethod method, PaymentStatus status) => AfterCommit.Run(db, () => Payment(method, status));

    private async Task ReadQueuesAsync(IServiceScopeFactory scopes, TimeProvider clock, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;

        _updatesOpen.Set(await db.InboundUpdates.CountAsync(u => u.Status == UpdateStatus.Received || u.Status == UpdateStatus.Processing, ct));

        var outbox = await db.Outbox.Where(o => o.Status == OutboxStatus.Pending || o.Status == OutboxStatus.Sending)
            .GroupBy(o => o.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        _outboxQueued.WithLabels("pending").Set(outbox.Where(o => o.Key == OutboxStatus.Pending).Sum(o => o.Count));
        _outboxQueued.WithLabels("sending").Set(outbox.Where(o => o.Key == OutboxStatus.Sending).Sum(o => o.Count));

        var queued = await db.Jobs.Where(j => j.Status == JobStatus.Queued).GroupBy(j => j.Type)
            .Select(g => new { Type = g.Key, Count = g.Count() }).ToListAsync(ct);
        var due = await db.Jobs.Where(j => j.Status == JobStatus.Queued && j.RunAt <= now).GroupBy(j => j.Type)
            .Select(g => new { Type = g.Key, Count = g.Count(), Oldest = g.Min(j => j.RunAt) }).ToListAsync(ct);
        Replace(_jobsQueued, queued.ToDictionary(q => q.Type, q => (double)q.Count));
        Replace(_jobsDue, due.ToDictionary(d => d.Type, d => (double)d.Count));
        Replace(_jobsOldestDueAge, due.ToDictionary(d => d.Type, d => Math.Max(0, (now - d.Oldest).TotalSeconds)));
    }

    /// <summary>Sets a gauge's series to exactly these types: a type with nothing queued any more disappears.</summary>
    private static void Replace(Gauge gauge, Dictionary<string, double> values)
    {
        foreach (var labels in gauge.GetAllLabelValues().ToList())
            if (!values.ContainsKey(labels[0])) gauge.RemoveLabelled(labels);
        foreach (var (type, v) in values) gauge.WithLabels(type).Set(v);
    }
}
