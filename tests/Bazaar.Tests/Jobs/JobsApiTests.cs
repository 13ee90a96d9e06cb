using System.Net;
using Bazaar.Server.Jobs;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Jobs;

public sealed class JobsApiTests : JobsTest
{
    [Fact]
    public async Task Cancel_works_only_while_queued_and_runs_the_types_cancel_action()
    {
        var admin = F.AdminClient();
        var job = await F.EnqueueAsync(JobsAppFactory.Refundable, new Purchase("ann", 1500));

        var ok = await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("Cancelled", (await ok.ReadJson()).GetProperty("status").GetString());
        var refund = await F.WithDb(db => db.Jobs.SingleAsync(j => j.IdempotencyKey == $"refund:{job.Id}"));
        Assert.Contains("1500", refund.Payload);

        await (await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/cancel", null)).AssertProblem(409, "job_not_queued");
        await (await admin.PostAsync("/api/v1/admin/queue/987654/cancel", null)).AssertProblem(404, "job_not_found");

        // A running job cannot be cancelled, and a cancelled job never runs.
        var done = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        await JobsAppFactory.DrainAsync(F.Runner, "w");
        await (await admin.PostAsync($"/api/v1/admin/queue/{done.Id}/cancel", null)).AssertProblem(409, "job_not_queued");
        Assert.False(F.Log.Runs.ContainsKey(job.Id));
        Assert.Equal(JobStatus.Cancelled, (await F.JobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task A_failing_cancel_action_leaves_the_job_queued()
    {
        var job = await F.EnqueueAsync(JobsAppFactory.Refundable, new Purchase("explode", 100));
        var response = await F.AdminClient().PostAsync($"/api/v1/admin/queue/{job.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(JobStatus.Queued, (await F.JobAsync(job.Id)).Status);
    }

    [Fact]
    public async Task Retry_requeues_failed_and_cancelled_jobs_with_fresh_attempts()
    {
        var admin = F.AdminClient();
        var job = await F.EnqueueAsync(JobsAppFactory.Permanent, new BadInput("typo"));
        await JobsAppFactory.DrainAsync(F.Runner, "w");
        Assert.Equal(JobStatus.Failed, (await F.JobAsync(job.Id)).Status);

        var ok = await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/retry", null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var body = await ok.ReadJson();
        Assert.Equal("Queued", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("attempts").GetInt32());
        Assert.Equal(1, body.GetProperty("position").GetInt32());
        await (await admin.PostAsync($"/api/v1/admin/queue/{job.Id}/retry", null)).AssertProblem(409, "job_not_retryable");

        Assert.Equal(job.Id, (await F.Runner.RunOnceAsync("w", CancellationToken.None))!.JobId);
        Assert.Equal(2, F.Log.Runs[job.Id]);

        await (await admin.PostAsync("/api/v1/admin/queue/987654/retry", null)).AssertProblem(404, "job_not_found");
        await (await F.CreateClient().PostAsync($"/api/v1/admin/queue/{job.Id}/retry", null)).AssertProblem(401);
    }

    [Fact]
    public async Task The_admin_list_filters_and_pages()
    {
        var admin = F.AdminClient();
        for (var i = 0; i < 5; i++) await F.EnqueueAsync("test.listing", new { i });
        var failed = await F.EnqueueAsync(JobsAppFactory.Permanent, new BadInput("x"));
        await F.Runner.RunOnceAsync("w", CancellationToken.None);

        var page = await (await admin.GetAsync("/api/v1/admin/queue?type=test.listing&status=queued&page=2&pageSize=2")).ReadJson();
        Assert.Equal(5, page.GetProperty("total").GetInt32());
        Assert.Equal(2, page.GetProperty("items").GetArrayLength());
        Assert.All(page.GetProperty("items").EnumerateArray(), j => Assert.Equal("test.listing", j.GetProperty("type").GetString()));

        var failures = await (await admin.GetAsync("/api/v1/admin/queue?status=FAILED")).ReadJson();
        Assert.Equal(failed.Id, failures.GetProperty("items")[0].GetProperty("id").GetInt64());
        Assert.Equal("x", failures.GetProperty("items")[0].GetProperty("lastError").GetString()!.Replace("bad input: ", ""));

        await (await admin.GetAsync("/api/v1/admin/queue?status=sleeping")).AssertProblem(400, "invalid_status");
        await (await admin.GetAsync("/api/v1/admin/queue/987654")).AssertProblem(404, "job_not_found");
        await (await F.CreateClient().GetAsync("/api/v1/admin/queue")).AssertProblem(401);
    }

    [Fact]
    public async Task Queue_status_is_public_counts_by_type_and_status_and_never_shows_payloads()
    {
        await F.EnqueueAsync("test.status", new { secret = "card-4242" });
        F.Clock.Advance(TimeSpan.FromSeconds(90));
        await F.EnqueueAsync("test.status", new { secret = "card-4242" });
        await F.EnqueueAsync("test.status", new { }, new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        var done = await F.EnqueueAsync(JobsAppFactory.Record, new { });
        await JobsAppFactory.DrainAsync(F.Runner, "w");

        var response = await F.CreateClient().GetAsync("/api/v1/queue/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("card-4242", text);
        var body = await response.ReadJson();
        var types = body.GetProperty("types").EnumerateArray().ToDictionary(t => t.GetProperty("type").GetString()!);
        Assert.Equal(3, types["test.status"].GetProperty("queued").GetInt32());
        Assert.Equal(2, types["test.status"].GetProperty("due").GetInt32());
        Assert.Equal(90, types["test.status"].GetProperty("oldestWaitingSeconds").GetDouble());
        Assert.Equal(1, types[JobsAppFactory.Record].GetProperty("completed").GetInt32());
        Assert.Equal(90, body.GetProperty("oldestWaitingSeconds").GetDouble());
        Assert.Equal(done.Id, (await F.JobAsync(done.Id)).Id);
    }

    [Fact]
    public async Task The_queue_endpoints_are_in_the_OpenAPI_document()
    {
        var doc = await (await F.CreateClient().GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        foreach (var id in new[] { "GetQueueStatus", "ListJobs", "GetJob", "RetryJob", "CancelJob" })
            Assert.Contains($"\"operationId\": \"{id}\"", doc);
        Assert.Contains("/api/v1/queue/status", doc);
        Assert.Contains("/api/v1/admin/queue/{id}/cancel", doc);
    }
}
