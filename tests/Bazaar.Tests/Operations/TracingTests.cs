using System.Diagnostics;
using Bazaar.Server.Operations;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Bazaar.Tests.Operations;

public sealed class TracingTests
{
    /// <summary>The bot server with the in-memory exporter added to whatever tracer the configuration builds.</summary>
    private sealed class TracedApp : BotAppFactory
    {
        public List<Activity> Spans { get; } = [];

        protected override void ConfigureTestServices(IServiceCollection services)
        {
            base.ConfigureTestServices(services);
            services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(Spans));
        }
    }

    private static async Task<(List<Activity> Spans, long InboxId, bool HasTracer)> HandleOneUpdate(bool enabled)
    {
        var app = new TracedApp();
        app.With("OpenTelemetry:Enabled", enabled ? "true" : "false");
        // Nothing listens there: the exporter under test is the in-memory one.
        app.With("OpenTelemetry:OtlpEndpoint", "http://127.0.0.1:9");
        try
        {
            await app.InitializeAsync();
            var update = Updates.Text(Updates.NewUserId(), "/echo traced");
            await app.Send(update);
            var inbound = await app.Inbound(update["update_id"]!.GetValue<int>());
            List<Activity> spans;
            // Spans of other tests' servers may reach an enabled tracer too (the source is process-wide), and each test
            // database numbers its inbox from 1: keep this update's by its process-unique update_id as well.
            var updateId = update["update_id"]!.GetValue<int>();
            lock (app.Spans)
            {
                spans = app.Spans.Where(a => a.GetTagItem("bazaar.update.id") is long id && id == inbound.Id &&
                    a.GetTagItem("bazaar.update.update_id") is long u && u == updateId).ToList();
            }
            return (spans, inbound.Id, app.Services.GetService<TracerProvider>() is not null);
        }
        finally { await ((IAsyncLifetime)app).DisposeAsync(); }
    }

    [Fact]
    public async Task With_tracing_enabled_an_update_produces_a_pipeline_span()
    {
        var (spans, _, hasTracer) = await HandleOneUpdate(enabled: true);
        Assert.True(hasTracer);
        var span = Assert.Single(spans);
        Assert.Equal("bazaar.update", span.DisplayName);
        Assert.Equal(Tracing.SourceName, span.Source.Name);
        Assert.Equal("message", span.GetTagItem("bazaar.update.kind"));
        Assert.Equal("echo", span.GetTagItem("bazaar.update.command"));
        Assert.Equal("processed", span.GetTagItem("bazaar.update.status"));
    }

    [Fact]
    public async Task With_tracing_disabled_there_is_no_tracer_and_no_span()
    {
        var (spans, _, hasTracer) = await HandleOneUpdate(enabled: false);
        Assert.False(hasTracer);
        Assert.Empty(spans);
    }
}
