using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Prometheus;

namespace Bazaar.Server.Operations;

public sealed class MetricsOptions
{
    /// <summary>Serve /metrics at all.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>When set, a scrape must send <c>Authorization: Bearer &lt;key&gt;</c> (Prometheus' <c>authorization</c> setting).</summary>
    public string? ApiKey { get; set; }
}

/// <summary>What the operator runs the server with: metrics, and (in Program and the hosting code) checks and shutdown.</summary>
public static class OperationsModule
{
    public static IServiceCollection AddOperations(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<MetricsOptions>(config.GetSection("Metrics"));
        services.AddSingleton<BazaarMetrics>();
        services.AddTracing(config);
        // One key ring for every instance on the database: a dashboard cookie (or antiforgery token) issued by one
        // instance is read by the others. The fixed name keeps instances with different content roots compatible.
        services.AddDataProtection().SetApplicationName("Bazaar").PersistKeysToDbContext<Data.BazaarDb>();
        return services;
    }

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Scrape).WithTags("Operations").WithName("Metrics")
            .WithSummary("Prometheus metrics (text format); off with Metrics:Enabled=false, behind a bearer key when Metrics:ApiKey is set")
            .Produces<string>(200, "text/plain").Produces(401).Produces(404);
        return app;
    }

    /// <summary>
    /// Open by default like /health: the series are counts and latencies, no ids or amounts, and a deployment keeps the
    /// port private (docs/deploy.md has nginx refuse /metrics from outside). Metrics:ApiKey closes it where it is not.
    /// </summary>
    internal static async Task<IResult> Scrape(HttpContext http, IOptions<MetricsOptions> options, BazaarMetrics metrics, CancellationToken ct)
    {
        var o = options.Value;
        if (!o.Enabled) return Results.NotFound();
        if (!string.IsNullOrEmpty(o.ApiKey))
        {
            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
            if (!Secrets.AreEqual(given, o.ApiKey))
            {
                http.Response.Headers.WWWAuthenticate = "Bearer";
                return Results.StatusCode(401);
            }
        }
        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, ct);
        return Results.Empty;
    }
}
