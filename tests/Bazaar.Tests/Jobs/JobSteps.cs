using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Jobs;

/// <summary>
/// Steps a server's recurring scheduler and a worker by hand, as a server with Jobs:Enabled=false (the test
/// default) never does on its own, so tests decide exactly when a recurring job fires and runs.
/// </summary>
public static class JobSteps
{
    /// <summary>The first call registers the schedules; later calls fire those that are due. Returns jobs enqueued.</summary>
    public static Task<int> TickAsync(WebApplicationFactory<Program> app) =>
        app.Services.GetRequiredService<JobScheduler>().RunOnceAsync(CancellationToken.None);

    /// <summary>Runs due jobs until none is left, and returns what ran.</summary>
    public static async Task<List<JobRun>> DrainAsync(WebApplicationFactory<Program> app, string owner = "test-worker")
    {
        var runner = app.Services.GetRequiredService<JobRunner>();
        var runs = new List<JobRun>();
        while (await runner.RunOnceAsync(owner, CancellationToken.None) is { } run) runs.Add(run);
        return runs;
    }

    public static Task<List<Job>> JobsOfTypeAsync(AppFactory app, string type) =>
        app.WithDb(db => db.Jobs.AsNoTracking().Where(j => j.Type == type).OrderBy(j => j.Id).ToListAsync());
}
