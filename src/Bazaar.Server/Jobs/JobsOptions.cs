namespace Bazaar.Server.Jobs;

/// <summary>The "Jobs" configuration section.</summary>
public sealed class JobsOptions
{
    /// <summary>Run the workers and the recurring scheduler in this process.</summary>
    public bool Enabled { get; set; } = true;
    public int Workers { get; set; } = 2;
    /// <summary>How often an idle worker looks for work (a local enqueue wakes it sooner).</summary>
    public double PollSeconds { get; set; } = 1;
    /// <summary>A claimed job belongs to its worker this long; running jobs renew it every third of it.</summary>
    public int LeaseSeconds { get; set; } = 60;
    /// <summary>On shutdown, how long running jobs may take to finish before they are cancelled and handed back.</summary>
    public int ShutdownSeconds { get; set; } = 30;
    /// <summary>Completed and cancelled jobs older than this are deleted.</summary>
    public int RetentionDays { get; set; } = 7;
    public int DefaultMaxAttempts { get; set; } = 5;
    public double BackoffBaseSeconds { get; set; } = 10;
    public double BackoffMaxSeconds { get; set; } = 3600;
    public Dictionary<string, JobTypeOptions> Types { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public JobTypeOptions For(string type) => Types.TryGetValue(type, out var t) ? t : JobTypeOptions.None;
}

/// <summary>"Jobs:Types:&lt;type&gt;": limits that hold across every worker and process.</summary>
public sealed class JobTypeOptions
{
    public static readonly JobTypeOptions None = new();

    /// <summary>At most this many jobs of the type run at once; 0 means no limit.</summary>
    public int MaxConcurrent { get; set; }
    /// <summary>At least this long between two starts of the type.</summary>
    public double MinIntervalSeconds { get; set; }
    /// <summary>Overrides Jobs:DefaultMaxAttempts for the type.</summary>
    public int? MaxAttempts { get; set; }

    public bool IsLimited => MaxConcurrent > 0 || MinIntervalSeconds > 0;
}
