using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Shop;

/// <summary>Catalog filters shared by the bot's list, the customers' API and the bulk discount.</summary>
public static class CatalogQueries
{
    /// <summary>Products offered at a location (a city includes its districts; 0 = anywhere) and in a category (0 = all).</summary>
    public static async Task<IQueryable<Product>> FilterAsync(BazaarDb db, IQueryable<Product> q, long location, long category, CancellationToken ct)
    {
        if (location != 0)
        {
            var ids = await db.ShopLocations.Where(l => l.ParentId == location).Select(l => (long?)l.Id).ToListAsync(ct);
            ids.Add(location);
            q = q.Where(p => ids.Contains(p.LocationId));
        }
        if (category != 0) q = q.Where(p => p.CategoryId == category);
        return q;
    }
}

public static class Catalog
{
    /// <summary>Stock from lines of text: a key per line for digital goods, a description per line for unique items.</summary>
    public static List<StockUnit> AddUnits(BazaarDb db, Product p, IEnumerable<string> lines, DateTime now)
    {
        var units = lines.Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => new StockUnit
        {
            ProductId = p.Id, CreatedAt = now,
            Secret = p.Kind == ProductKind.Digital ? l : null,
            Details = p.Kind == ProductKind.UniqueItem ? l : null,
        }).ToList();
        db.StockUnits.AddRange(units);
        return units;
    }
}
