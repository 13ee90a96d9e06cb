using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Bazaar.Server.Jobs;

/// <summary>QUEUED → PROCESSING → COMPLETED | FAILED | CANCELLED; stored as those upper-case words.</summary>
public enum JobStatus { Queued, Processing, Completed, Failed, Cancelled }

/// <summary>One unit of background work of a registered type, run by a job handler.</summary>
public sealed class Job : IHasId
{
    public long Id { get; set; }
    public required string Type { get; set; }
    /// <summary>JSON given to the handler.</summary>
    public required string Payload { get; set; }
    public JobStatus Status { get; set; } = JobStatus.Queued;
    /// <summary>Higher runs first among due jobs.</summary>
    public int Priority { get; set; }
    /// <summary>Attempts started so far (counted when claimed).</summary>
    public int Attempts { get; set; }
    public int MaxAttempts { get; set; }
    /// <summary>Not claimed before this time: the delay, or the backoff after a failed attempt.</summary>
    public DateTime RunAt { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    /// <summary>Enqueueing the same key twice makes one job (unique).</summary>
    public string? IdempotencyKey { get; set; }
}

/// <summary>The one spelling of each <see cref="JobStatus"/> as stored: EF's conversion and the claim SQL both use it.</summary>
public static class JobStatusText
{
    public const string Queued = "QUEUED";
    public const string Processing = "PROCESSING";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string Cancelled = "CANCELLED";

    public static string Of(JobStatus s) => s switch
    {
        JobStatus.Queued => Queued,
        JobStatus.Processing => Processing,
        JobStatus.Completed => Completed,
        JobStatus.Failed => Failed,
        JobStatus.Cancelled => Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static JobStatus Parse(string s) => s switch
    {
        Queued => JobStatus.Queued,
        Processing => JobStatus.Processing,
        Completed => JobStatus.Completed,
        Failed => JobStatus.Failed,
        Cancelled => JobStatus.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };
}

internal sealed class JobStatusConverter() : ValueConverter<JobStatus, string>(
    v => JobStatusText.Of(v),
    v => JobStatusText.Parse(v));

internal sealed class JobMap : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> b)
    {
        b.ToTable("jobs");
        b.Property(j => j.Type).HasMaxLength(64);
        b.Property(j => j.Status).HasConversion<JobStatusConverter>().HasMaxLength(16);
        b.Property(j => j.LeaseOwner).HasMaxLength(128);
        b.Property(j => j.LastError).HasMaxLength(JobSql.MaxErrorLength);
        b.Property(j => j.IdempotencyKey).HasMaxLength(200);
        b.HasIndex(j => j.IdempotencyKey).IsUnique();
        // The claim: due queued jobs, best priority first, then oldest.
        b.HasIndex(j => new { j.Status, j.Priority, j.RunAt, j.Id }).IsDescending(false, true, false, false).HasDatabaseName("IX_jobs_claim");
        b.HasIndex(j => new { j.Status, j.LeaseExpiresAt });
        // One type's claim, its running count (limits) and queue positions.
        b.HasIndex(j => new { j.Type, j.Status, j.Priority, j.RunAt, j.Id }).IsDescending(false, false, true, false, false)
            .HasDatabaseName("IX_jobs_type_claim");
        // The last start of a type (MinIntervalSeconds).
        b.HasIndex(j => new { j.Type, j.StartedAt });
        b.HasIndex(j => new { j.Status, j.FinishedAt });
    }
}

/// <summary>A recurring job: one row per name, claimed per period by a conditional update of its version.</summary>
public sealed class RecurringSchedule
{
    public required string Name { get; set; }
    /// <summary>"cron:&lt;expression&gt;" or "every:&lt;seconds&gt;".</summary>
    public required string Schedule { get; set; }
    public required string JobType { get; set; }
    public required string Payload { get; set; }
    public DateTime NextFireAt { get; set; }
    public DateTime? LastFiredAt { get; set; }
    public long? LastJobId { get; set; }
    /// <summary>Bumped by each fire; a fire only wins if the version it read is still current.</summary>
    public long Version { get; set; }
}

internal sealed class RecurringScheduleMap : IEntityTypeConfiguration<RecurringSchedule>
{
    public void Configure(EntityTypeBuilder<RecurringSchedule> b)
    {
        b.ToTable("recurring_schedules");
        b.HasKey(s => s.Name);
        b.Property(s => s.Name).HasMaxLength(100);
        b.Property(s => s.Schedule).HasMaxLength(200);
        b.Property(s => s.JobType).HasMaxLength(64);
    }
}
