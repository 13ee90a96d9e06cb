using Bazaar.Server.Data;
using Cronos;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Jobs;

/// <summary>A recurring job as registered in code: <c>services.AddRecurringJob(...)</c>.</summary>
public sealed record RecurringJobDefinition(string Name, string Schedule, string JobType, string Payload)
{
    /// <summary>The first fire time strictly after <paramref name="after"/>.</summary>
    public DateTime NextAfter(DateTime after) => RecurringJobs.NextAfter(Schedule, after);
}

public static class RecurringJobs
{
    /// <summary>"cron:&lt;5 or 6 fields&gt;" (UTC) or "every:&lt;seconds&gt;".</summary>
    public static DateTime NextAfter(string schedule, DateTime after)
    {
        if (schedule.StartsWith("every:", StringComparison.Ordinal))
            return after + TimeSpan.FromSeconds(double.Parse(schedule[6..], System.Globalization.CultureInfo.InvariantCulture));
        if (schedule.StartsWith("cron:", StringComparison.Ordinal))
        {
            var expr = schedule[5..].Trim();
            var format = expr.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
            return CronExpression.Parse(expr, format).GetNextOccurrence(DateTime.SpecifyKind(after, DateTimeKind.Utc), TimeZoneInfo.Utc)
                ?? DateTime.MaxValue;
        }
        throw new FormatException($"A schedule is 'cron:<expression>' or 'every:<seconds>', not '{schedule}'.");
    }

    public static string Cron(string expression)
    {
        _ = NextAfter("cron:" + expression, DateTime.UnixEpoch); // fail at registration, not at the first fire
        return "cron:" + expression;
    }

    public static string Every(TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval));
        return "every:" + interval.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Fires due recurring jobs. Each schedule is one row; firing is a conditional update of its version, so when
/// several schedulers (processes) race, one wins per period. The next fire time is computed from now, so after
/// downtime a schedule fires once and then keeps its rhythm: no catch-up storm.
/// </summary>
public sealed class JobScheduler(IServiceScopeFactory scopes, IEnumerable<RecurringJobDefinition> definitions,
    TimeProvider clock, ILogger<JobScheduler> log)
{
    private readonly RecurringJobDefinition[] _definitions = definitions.GroupBy(d => d.Name).Select(g => g.Last()).ToArray();
    private volatile bool _registered;

    public IReadOnlyList<RecurringJobDefinition> Definitions => _definitions;

    /// <summary>Fires every schedule that is due; returns how many jobs this call enqueued.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        if (_definitions.Length == 0) return 0;
        if (!_registered)
        {
            await RegisterAsync(ct);
            _registered = true;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        var names = _definitions.Select(d => d.Name).ToArray();
        var due = await db.RecurringSchedules.AsNoTracking()
            .Where(s => names.Contains(s.Name) && s.NextFireAt <= now).ToListAsync(ct);
        var fired = 0;
        foreach (var s in due)
        {
            if (await FireAsync(s, now, ct)) fired++;
        }
        return fired;
    }

    /// <summary>When the next schedule is due (null with none), so an idle loop can sleep until then.</summary>
    public async Task<DateTime?> NextDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var names = _definitions.Select(d => d.Name).ToArray();
        return await db.RecurringSchedules.Where(s => names.Contains(s.Name))
            .OrderBy(s => s.NextFireAt).Select(s => (DateTime?)s.NextFireAt).FirstOrDefaultAsync(ct);
    }

    private async Task<bool> FireAsync(RecurringSchedule s, DateTime now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
        var next = RecurringJobs.NextAfter(s.Schedule, now);
        var version = s.Version + 1;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var won = await db.RecurringSchedules.Where(r => r.Name == s.Name && r.Version == s.Version)
            .ExecuteUpdateAsync(u => u
                .SetProperty(r => r.NextFireAt, next)
                .SetProperty(r => r.LastFiredAt, now)
                .SetProperty(r => r.Version, version), ct);
        if (won == 0) return false; // another scheduler fired this period

        var job = queue.EnqueueJson(s.JobType, s.Payload, new EnqueueOptions { IdempotencyKey = $"recurring:{s.Name}:{version}" });
        await db.SaveChangesAsync(ct);
        await db.RecurringSchedules.Where(r => r.Name == s.Name).ExecuteUpdateAsync(u => u.SetProperty(r => r.LastJobId, job.Id), ct);
        await tx.CommitAsync(ct);
        log.LogInformation("Recurring {Name} fired job {JobId}; next at {Next}", s.Name, job.Id, next);
        return true;
    }

    /// <summary>Creates the schedule rows, and follows changes to a definition (schedule, type, payload).</summary>
    private async Task RegisterAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var d in _definitions)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
            var existing = await db.RecurringSchedules.AsNoTracking().SingleOrDefaultAsync(s => s.Name == d.Name, ct);
            if (existing is null)
            {
                db.RecurringSchedules.Add(new RecurringSchedule
                {
                    Name = d.Name, Schedule = d.Schedule, JobType = d.JobType, Payload = d.Payload, NextFireAt = d.NextAfter(now),
                });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
                {
                    // Another process registered it first.
                }
            }
            else if (existing.Schedule != d.Schedule || existing.JobType != d.JobType || existing.Payload != d.Payload)
            {
                var next = existing.Schedule == d.Schedule ? existing.NextFireAt : d.NextAfter(now);
                await db.RecurringSchedules.Where(r => r.Name == d.Name && r.Version == existing.Version)
                    .ExecuteUpdateAsync(u => u
                        .SetProperty(r => r.Schedule, d.Schedule)
                        .SetProperty(r => r.JobType, d.JobType)
                        .SetProperty(r => r.Payload, d.Payload)
                        .SetProperty(r => r.NextFireAt, next)
                        .SetProperty(r => r.Version, existing.Version + 1), ct);
            }
        }
    }
}
