using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Jobs;

/// <summary>Two whole servers (hosts, containers, connection pools) on one database, as two processes would be.</summary>
public sealed class TwoServersTests : JobsTest
{
    private JobsAppFactory _second = null!;

    private async Task StartSecondServerAsync()
    {
        _second = new JobsAppFactory();
        _second.With("ConnectionStrings:Bazaar", F.Database.ConnectionString);
        await _second.InitializeAsync();
    }

    [Fact]
    public async Task Two_servers_share_the_work_and_run_each_job_exactly_once()
    {
        await StartSecondServerAsync();
        try
        {
            var ids = new List<long>();
            for (var i = 0; i < 150; i++) ids.Add((await (i % 2 == 0 ? F : _second).EnqueueAsync(JobsAppFactory.Record, new { i })).Id);

            var ran = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(() =>
                JobsAppFactory.DrainAsync((i % 2 == 0 ? F : _second).Runner, $"server{i % 2}/w{i}"))));

            Assert.Equal(150, ran.Sum());
            Assert.All(ids, id => Assert.Equal(1, F.Log.Runs.GetValueOrDefault(id) + _second.Log.Runs.GetValueOrDefault(id)));
            Assert.Equal(150, await F.WithDb(db => db.Jobs.CountAsync(j => ids.Contains(j.Id) && j.Status == JobStatus.Completed && j.Attempts == 1)));

            // And a recurring schedule fires once per period between them.
            var a = F.Services.GetRequiredService<JobScheduler>();
            var b = _second.Services.GetRequiredService<JobScheduler>();
            await Task.WhenAll(a.RunOnceAsync(CancellationToken.None), b.RunOnceAsync(CancellationToken.None));
            F.Clock.Advance(TimeSpan.FromMinutes(1));
            _second.Clock.Advance(TimeSpan.FromMinutes(1));
            var fired = await Task.WhenAll(a.RunOnceAsync(CancellationToken.None), b.RunOnceAsync(CancellationToken.None));
            Assert.Equal(1, fired.Sum());
            Assert.Equal(1, await F.WithDb(db => db.Jobs.CountAsync(j => j.IdempotencyKey!.StartsWith("recurring:test.every-minute:"))));
        }
        finally
        {
            await ((IAsyncLifetime)_second).DisposeAsync();
        }
    }
}
