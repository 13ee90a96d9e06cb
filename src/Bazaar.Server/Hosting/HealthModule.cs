using Bazaar.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Hosting;

public static class HealthModule
{
    public sealed record Liveness(string Status, DateTime Time);
    public sealed record Readiness(string Status, string Database, bool Reachable, int PendingMigrations, string? LastMigration, string? Error);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/health").WithTags("Health");
        g.MapGet("/live", Live).WithName("Live").WithSummary("The process is up");
        g.MapGet("/ready", Ready).WithName("Ready").WithSummary("The database is reachable and its schema is current");
        return app;
    }

    internal static Ok<Liveness> Live(TimeProvider clock) => TypedResults.Ok(new Liveness("live", clock.GetUtcNow().UtcDateTime));

    internal static async Task<Results<Ok<Readiness>, JsonHttpResult<Readiness>>> Ready(BazaarDb db, DatabaseOptions options, CancellationToken ct)
    {
        var provider = options.Provider.ToString();
        try
        {
            if (!await db.Database.CanConnectAsync(ct))
                return NotReady(new Readiness("unavailable", provider, false, -1, null, "The database cannot be reached."));
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).Count();
            var last = (await db.Database.GetAppliedMigrationsAsync(ct)).LastOrDefault();
            var r = new Readiness(pending == 0 ? "ready" : "migrating", provider, true, pending, last, null);
            return pending == 0 ? TypedResults.Ok(r) : NotReady(r);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return NotReady(new Readiness("unavailable", provider, false, -1, null, e.GetType().Name));
        }
    }

    private static JsonHttpResult<Readiness> NotReady(Readiness r) => TypedResults.Json(r, statusCode: StatusCodes.Status503ServiceUnavailable);
}
