using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bazaar.Server.Jobs;

public static partial class JobsModule
{
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<JobsOptions>(config.GetSection("Jobs"));
        services.TryAddSingleton<JobSignal>();
        services.TryAddSingleton<JobHandlerRegistry>();
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<JobScheduler>();
        services.TryAddScoped<JobQueue>();
        services.TryAddSingleton<JobHost>();
        services.AddHostedService(sp => sp.GetRequiredService<JobHost>());

        services.AddJobHandler<JobCleanupHandler>(JobCleanupHandler.Type);
        services.AddRecurringJob(JobCleanupHandler.Type, TimeSpan.FromHours(1), JobCleanupHandler.Type);
        return services;
    }

    /// <summary>Registers the handler of a job type; it is resolved in a fresh scope for each attempt.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string type)
        where THandler : class, IJobHandler
    {
        ValidateType(type);
        services.AddKeyedScoped<IJobHandler, THandler>(type);
        services.AddSingleton(new JobHandlerRegistration(type, typeof(THandler)));
        return services;
    }

    /// <summary>A job of <paramref name="jobType"/> every <paramref name="interval"/>, once across all processes.</summary>
    public static IServiceCollection AddRecurringJob(this IServiceCollection services, string name, TimeSpan interval,
        string jobType, object? payload = null) =>
        services.AddRecurring(name, RecurringJobs.Every(interval), jobType, payload);

    /// <summary>A job of <paramref name="jobType"/> on a cron schedule in UTC (5 fields, or 6 with seconds).</summary>
    public static IServiceCollection AddRecurringJob(this IServiceCollection services, string name, string cron,
        string jobType, object? payload = null) =>
        services.AddRecurring(name, RecurringJobs.Cron(cron), jobType, payload);

    private static IServiceCollection AddRecurring(this IServiceCollection services, string name, string schedule, string jobType, object? payload)
    {
        ValidateType(jobType);
        var json = payload is null ? "{}" : JsonSerializer.Serialize(payload, JobQueue.Json);
        services.AddSingleton(new RecurringJobDefinition(name, schedule, jobType, json));
        return services;
    }

    internal static void ValidateType(string type)
    {
        if (!TypeName().IsMatch(type))
            throw new ArgumentException($"A job type is 1 to 64 of a-z, 0-9, '.', '_' and '-', not '{type}'.", nameof(type));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex TypeName();
}
