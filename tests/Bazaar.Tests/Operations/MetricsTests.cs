using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Bazaar.Server.Channels;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Operations;

/// <summary>A bot server with manual bank deposits; each test gets its own, so the counters start at zero.</summary>
public sealed class MetricsAppFactory : BotAppFactory
{
    public MetricsAppFactory() => With("Payments:Manual:Instructions:Bank", "Pay {amount} with the title {reference}.");
}

public sealed class MetricsTests : IAsyncLifetime
{
    private readonly MetricsAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task Scraping_shows_updates_latencies_outbox_jobs_and_payments_with_the_right_values()
    {
        // Two commands handled by the processor 3 s (on the fake clock) after they were stored, and one update nobody handles.
        await _app.Post(Updates.Text(Updates.NewUserId(), "/start"));
        await _app.Post(Updates.Text(Updates.NewUserId(), "/start"));
        await _app.Post(new JsonObject
        {
            ["update_id"] = Updates.NextUpdateId(),
            ["channel_post"] = new JsonObject { ["message_id"] = 1, ["date"] = 0, ["chat"] = new JsonObject { ["id"] = -100123, ["type"] = "channel", ["title"] = "c" }, ["text"] = "hi" },
        });
        _app.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(2, await _app.ProcessAll());

        var m = await ScrapeAsync();
        Assert.Equal(2, m["bazaar_updates_total{kind=\"message\",status=\"processed\"}"]);
        Assert.Equal(1, m["bazaar_updates_total{kind=\"channel_post\",status=\"ignored\"}"]);
        Assert.Equal(2, m["bazaar_update_received_to_handled_seconds_count"]);
        Assert.Equal(6, m["bazaar_update_received_to_handled_seconds_sum"], 3);
        Assert.Equal(0, m["bazaar_update_received_to_handled_seconds_bucket{le=\"2.5\"}"]);
        Assert.Equal(2, m["bazaar_update_received_to_handled_seconds_bucket{le=\"5\"}"]);
        Assert.Equal(2, m["bazaar_update_handler_seconds_count{kind=\"message\"}"]);
        Assert.Equal(0, m["bazaar_updates_open"]);

        // The replies wait in the outbox (read from the database at scrape time).
        var pending = await _app.WithDb(db => db.Outbox.CountAsync(o => o.Status == OutboxStatus.Pending));
        Assert.True(pending >= 2);
        Assert.Equal(pending, m["bazaar_outbox_queue_depth{status=\"pending\"}"]);

        // One 429, then everything goes out.
        _app.Bot.FailNext("sendMessage", 429, "Too Many Requests: retry after 5", retryAfter: 5);
        var sender = _app.Services.GetRequiredService<OutboxSender>();
        await sender.RunOnceAsync(default);
        _app.Clock.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 10 && await _app.WithDb(db => db.Outbox.CountAsync(o => o.Status == OutboxStatus.Pending)) > 0; i++)
        {
            await sender.RunOnceAsync(default);
            _app.Clock.Advance(TimeSpan.FromSeconds(2));
        }
        var sent = await _app.WithDb(db => db.Outbox.CountAsync(o => o.Status == OutboxStatus.Sent));
        Assert.Equal(pending, sent);
        m = await ScrapeAsync();
        Assert.Equal(1, m["bazaar_outbox_rate_limited_total{channel=\"telegram\"}"]);
        Assert.Equal(sent, m["bazaar_outbox_sent_total{channel=\"telegram\"}"]);
        Assert.Equal(0, m["bazaar_outbox_queue_depth{status=\"pending\"}"]);

        // Jobs: one due for 42 s, one not due yet.
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var queue = scope.ServiceProvider.GetRequiredService<JobQueue>();
            queue.Enqueue("test.metrics", new { n = 1 });
            queue.Enqueue("test.metrics", new { n = 2 }, new EnqueueOptions { RunAt = _app.Clock.GetUtcNow().UtcDateTime.AddHours(1) });
            await scope.ServiceProvider.GetRequiredService<Bazaar.Server.Data.BazaarDb>().SaveChangesAsync();
        }
        _app.Clock.Advance(TimeSpan.FromSeconds(42));
        m = await ScrapeAsync();
        Assert.Equal(2, m["bazaar_jobs_queued{type=\"test.metrics\"}"]);
        Assert.Equal(1, m["bazaar_jobs_due{type=\"test.metrics\"}"]);
        Assert.Equal(42, m["bazaar_jobs_oldest_due_age_seconds{type=\"test.metrics\"}"], 3);

        // Payments: two created, one approved.
        var user = await MoneyTestData.CreateUserAsync(_app);
        using var admin = _app.AdminClient();
        var ids = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            var created = await (await admin.PostJson("/api/v1/payments", new { userId = user.Id, method = "manual_bank", amount = 5m + i })).ReadJson();
            ids.Add(created.GetProperty("id").GetInt64());
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/v1/admin/deposits/{ids[0]}/approve", null)).StatusCode);
        m = await ScrapeAsync();
        Assert.Equal(2, m["bazaar_payments_total{method=\"manual_bank\",status=\"PENDING\"}"]);
        Assert.Equal(1, m["bazaar_payments_total{method=\"manual_bank\",status=\"COMPLETED\"}"]);
        Assert.Equal(PaymentStatus.Completed, await _app.WithDb(db => db.Payments.Where(p => p.Id == ids[0]).Select(p => p.Status).FirstAsync()));
    }

    private async Task<Dictionary<string, double>> ScrapeAsync(HttpClient? client = null)
    {
        var r = await (client ?? _app.CreateClient()).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.StartsWith("text/plain", r.Content.Headers.ContentType!.ToString());
        return Parse(await r.Content.ReadAsStringAsync());
    }

    /// <summary>"name{labels} value" lines of the Prometheus text format, by series.</summary>
    internal static Dictionary<string, double> Parse(string text)
    {
        var d = new Dictionary<string, double>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var m = Regex.Match(line, @"^(\S+?(?:\{.*\})?) (\S+)$");
            if (m.Success) d[m.Groups[1].Value] = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return d;
    }
}

public sealed class MetricsAccessTests
{
    [Fact]
    public async Task Metrics_can_be_switched_off_or_put_behind_a_key()
    {
        await using (var off = new AppFactory().With("Metrics:Enabled", "false"))
        {
            await off.InitializeAsync();
            Assert.Equal(HttpStatusCode.NotFound, (await off.CreateClient().GetAsync("/metrics")).StatusCode);
        }
        await using var keyed = new AppFactory().With("Metrics:ApiKey", "scrape-key-123");
        await keyed.InitializeAsync();
        var anonymous = keyed.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", "wrong-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        var scraper = keyed.CreateClient();
        scraper.DefaultRequestHeaders.Authorization = new("Bearer", "scrape-key-123");
        var r = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains("bazaar_outbox_queue_depth{status=\"pending\"} 0", await r.Content.ReadAsStringAsync());
    }
}
