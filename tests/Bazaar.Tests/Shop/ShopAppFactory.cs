using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Shop;

/// <summary>The server with the bot on a fake Bot API, Stars on, the shop in USD; tests step jobs themselves.</summary>
public class ShopAppFactory : BotAppFactory
{
    public ShopAppFactory()
    {
        With("Shop:Currency", "USD");
        With("Payments:Stars:Enabled", "true");
        With("Payments:Stars:StarsPerUnit", "50");
    }

    public JobRunner JobRunner => Services.GetRequiredService<JobRunner>();

    public async Task<List<JobRun>> RunJobs()
    {
        var runs = new List<JobRun>();
        while (await JobRunner.RunOnceAsync("test-worker", CancellationToken.None) is { } run) runs.Add(run);
        return runs;
    }

    /// <summary>Runs one registered job handler now, as the recurring schedule would.</summary>
    public async Task RunHandler(string type)
    {
        await using var scope = Services.CreateAsyncScope();
        var handler = scope.ServiceProvider.GetRequiredKeyedService<IJobHandler>(type);
        await handler.HandleAsync(new JobContext(0, type, "{}", 1, 1, Clock.GetUtcNow().UtcDateTime), CancellationToken.None);
    }

    public async Task<T> In<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public Task<ReserveResult> Reserve(long userId, long productId) =>
        In(sp => sp.GetRequiredService<Reservations>().ReserveAsync(userId, productId, CancellationToken.None));

    public Task<PurchaseResult> Confirm(long userId, long reservationId) =>
        In(sp => sp.GetRequiredService<Purchase>().ConfirmAsync(userId, reservationId, CancellationToken.None));
}

/// <summary>Catalog, stock and money for shop tests.</summary>
public static class ShopTestData
{
    public static Task<Product> ProductAsync(AppFactory f, int units, long price = 10_00, string kind = ProductKind.Digital, int discount = 0,
        long? location = null, long? category = null, Action<Product>? configure = null) =>
        f.WithDb(async db =>
        {
            var now = f.Clock.GetUtcNow().UtcDateTime;
            var p = new Product
            {
                Name = $"Product {Guid.NewGuid():N}"[..16], Description = "A test product", Kind = kind, BasePrice = price, DiscountPercent = discount,
                LocationId = location, CategoryId = category, CreatedAt = now, UpdatedAt = now,
            };
            configure?.Invoke(p);
            db.Products.Add(p);
            await db.SaveChangesAsync();
            for (var i = 0; i < units; i++)
                db.StockUnits.Add(new StockUnit
                {
                    ProductId = p.Id, CreatedAt = now, Secret = kind == ProductKind.Digital ? $"KEY-{p.Id}-{i}" : null,
                    Details = kind == ProductKind.UniqueItem ? $"Item {i} behind the red door" : null,
                    Address = kind == ProductKind.UniqueItem ? "Main street 1" : null,
                    Latitude = kind == ProductKind.UniqueItem ? 52.23 : null, Longitude = kind == ProductKind.UniqueItem ? 21.01 : null,
                });
            await db.SaveChangesAsync();
            return p;
        });

    public static async Task FundAsync(AppFactory f, long userId, long amount, string currency = "USD")
    {
        await using var scope = f.Services.CreateAsyncScope();
        var r = await scope.ServiceProvider.GetRequiredService<Ledger>()
            .TransferAsync(AccountRef.DepositsClearing("test"), AccountRef.Wallet(userId), amount, currency, "deposit", null, default);
        Assert.True(r.Ok);
    }

    public static Task<int> PurchasePostingsAsync(AppFactory f) => f.WithDb(db => db.LedgerTransactions.CountAsync(t => t.Kind == "purchase"));

    public static Task<int> OrdersOfAsync(AppFactory f, long productId) => f.WithDb(db => db.Orders.CountAsync(o => o.ProductId == productId));

    public static Task<int> SoldAsync(AppFactory f, long productId) =>
        f.WithDb(db => db.StockUnits.CountAsync(u => u.ProductId == productId && u.Status == UnitStatus.Sold));

    /// <summary>The callback data of every inline button in a sendMessage/sendPhoto/edit payload.</summary>
    public static List<string> Buttons(string payload) =>
        (JsonNode.Parse(payload)!["reply_markup"]?["inline_keyboard"]?.AsArray() ?? [])
            .SelectMany(row => row!.AsArray()).Select(b => b!["callback_data"]?.GetValue<string>()).OfType<string>().ToList();
}
