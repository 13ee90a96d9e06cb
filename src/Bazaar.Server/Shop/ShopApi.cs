using System.Globalization;
using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Shop;

/// <summary>The shop's REST API: the public catalog, and the operators' products, stock, discounts and orders.</summary>
public static class ShopApi
{
    public static IEndpointRouteBuilder MapShopApi(this IEndpointRouteBuilder app)
    {
        var products = app.MapGroup("/api/v1/products").AllowAnonymous().WithTags("Shop");
        products.MapGet("/", ListProducts).WithName("ListProducts").WithSummary("Active products with filters (city, district, category, in_stock, search) and paging");
        products.MapGet("/{id:long}", GetProduct).WithName("GetProduct").WithSummary("One active product with its current price and stock");
        var catalog = app.MapGroup("/api/v1/catalog").AllowAnonymous().WithTags("Shop");
        catalog.MapGet("/locations", Locations).WithName("ListLocations").WithSummary("Cities with their districts");
        catalog.MapGet("/categories", Categories).WithName("ListCategories").WithSummary("Product categories");
        catalog.MapGet("/photos/{id:long}", Photo).WithName("GetProductPhoto").WithSummary("A product photo stored on this server");

        var admin = app.MapAdminGroup("/products", "Shop");
        admin.MapGet("/", AdminList).WithName("AdminListProducts").WithSummary("All products, active or not, with paging");
        admin.MapGet("/{id:long}", AdminGet).WithName("AdminGetProduct").WithSummary("One product");
        admin.MapPost("/", Create).WithName("CreateProduct").WithSummary("Create a product");
        admin.MapPut("/{id:long}", Update).WithName("UpdateProduct").WithSummary("Replace a product's fields");
        admin.MapDelete("/{id:long}", Delete).WithName("DeleteProduct").WithSummary("Delete a product that was never reserved or sold (deactivate it otherwise)");
        admin.MapGet("/{id:long}/units", ListUnits).WithName("ListStockUnits").WithSummary("A product's stock units");
        admin.MapPost("/{id:long}/units", AddUnits).WithName("AddStockUnits").WithSummary("Add stock units: unique items with delivery details, or keys/files");
        admin.MapPost("/{id:long}/units/import", ImportKeys).WithName("ImportKeys").WithSummary("Import keys in bulk from text, one per line")
            .WithBodyLimit(16 * 1024 * 1024); // a stock of a hundred thousand keys fits
        admin.MapDelete("/{id:long}/units/{unitId:long}", DeleteUnit).WithName("DeleteStockUnit").WithSummary("Remove an unsold, unreserved unit");
        app.MapAdminGroup("/discounts", "Shop").MapPost("/bulk", BulkDiscount).WithName("BulkDiscount")
            .WithSummary("Apply one discount to every product matching the filter; returns how many changed");
        var orders = app.MapAdminGroup("/orders", "Shop");
        orders.MapGet("/", ListOrders).WithName("ListOrders").WithSummary("Orders with filters (user, product, status, time) and paging, newest first");
        orders.MapGet("/{id:long}", GetOrder).WithName("GetOrder").WithSummary("One order with its delivery");
        var buy = app.MapAdminGroup("/shop", "Shop");
        buy.MapPost("/reservations", Reserve).WithName("CreateReservation").WithSummary("Reserve a unit for a user (an integrator acting for its customer)");
        buy.MapPost("/reservations/{id:long}/confirm", Confirm).WithName("ConfirmReservation").WithSummary("Pay a reservation from the user's wallet");
        buy.MapPost("/reservations/{id:long}/pay", Pay).WithName("PayReservation")
            .WithSummary("Pay a reservation directly (btc, ltc, stars, stripe, robokassa) at its held price; a crypto quote holds until the reservation ends");
        buy.MapPost("/reservations/{id:long}/cancel", Cancel).WithName("CancelReservation").WithSummary("Cancel a reservation");
        return app;
    }

    public sealed record PriceView(decimal Base, decimal Final, long BaseMinor, long FinalMinor, int DiscountPercent, long DiscountMinor, string Currency);
    public sealed record ProductView(long Id, string Name, string Description, string Kind, long? CategoryId, long? LocationId, PriceView Price,
        bool InStock, int? Stock, IReadOnlyList<string> Photos, bool IsActive, int DiscountPercent, DateTime? DiscountStartsAt, DateTime? DiscountEndsAt,
        long? Credits, int? SubscriptionDays, string? EntitlementKey, string? ChannelChatId);
    public sealed record DistrictView(long Id, string Name);
    public sealed record CityView(long Id, string Name, IReadOnlyList<DistrictView> Districts);
    public sealed record CategoryView(long Id, string Name);
    public sealed record ProductRequest(string Name, string? Description, string Kind, decimal Price, long? CategoryId, long? LocationId,
        int DiscountPercent = 0, DateTime? DiscountStartsAt = null, DateTime? DiscountEndsAt = null, bool IsActive = true,
        IReadOnlyList<string>? Photos = null, long? Credits = null, int? SubscriptionDays = null, string? EntitlementKey = null, string? ChannelChatId = null);
    public sealed record UnitRequest(string? Secret, string? FileUrl, string? PhotoUrl, double? Latitude, double? Longitude, string? Address, string? Details);
    public sealed record UnitView(long Id, string Status, long? OrderId, string? Secret, string? FileUrl, string? PhotoUrl, double? Latitude,
        double? Longitude, string? Address, string? Details, DateTime CreatedAt, DateTime? SoldAt);
    public sealed record ImportRequest(string Text);
    public sealed record AddedUnits(int Added, int Free);
    public sealed record BulkDiscountRequest(int Percent, DateTime? StartsAt, DateTime? EndsAt, long? City, long? District, long? Category, IReadOnlyList<long>? Ids);
    public sealed record BulkDiscountResult(int Changed);
    public sealed record OrderView(long Id, long UserId, long ProductId, string ProductName, string Kind, string Status, string PaidWith, long? PaymentId,
        long OriginalPriceMinor, int DiscountPercent, long DiscountMinor, long FinalPriceMinor, decimal FinalPrice, string Currency, long ReservationId,
        DateTime CreatedAt, UnitView? Delivery);
    public sealed record ReserveRequest(long UserId, long ProductId);
    public sealed record ReservationView(long Id, long UserId, long ProductId, string Status, long FinalPriceMinor, string Currency, DateTime ExpiresAt);
    public sealed record UserRequest(long UserId);
    public sealed record PayRequest(long UserId, string Method);

    private static string Cur(IOptions<ShopOptions> o) => Currencies.Normalize(o.Value.Currency);

    internal static PriceView View(Price p) => new(Currencies.ToMajor(p.Base, p.Currency), Currencies.ToMajor(p.Final, p.Currency), p.Base, p.Final,
        p.DiscountPercent, p.Discount, p.Currency);

    private static async Task<List<ProductView>> ViewsAsync(BazaarDb db, List<Product> items, string currency, DateTime now, CancellationToken ct)
    {
        var ids = items.Select(p => p.Id).ToList();
        var stock = await db.StockUnits.Where(u => ids.Contains(u.ProductId)).Free(now).GroupBy(u => u.ProductId)
            .Select(g => new { g.Key, N = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.N, ct);
        var photos = await db.ProductPhotos.AsNoTracking().Where(p => ids.Contains(p.ProductId)).OrderBy(p => p.Position)
            .Select(p => new { p.Id, p.ProductId, p.Url }).ToListAsync(ct);
        return items.Select(p =>
        {
            var has = ProductKind.HasStock(p.Kind);
            var n = stock.GetValueOrDefault(p.Id);
            return new ProductView(p.Id, p.Name, p.Description, p.Kind, p.CategoryId, p.LocationId, View(Pricing.For(p, currency, now)),
                !has || n > 0, has ? n : null, photos.Where(x => x.ProductId == p.Id).Select(x => x.Url ?? $"/api/v1/catalog/photos/{x.Id}").ToList(),
                p.IsActive, p.DiscountPercent, p.DiscountStartsAt, p.DiscountEndsAt, p.Credits, p.SubscriptionDays, p.EntitlementKey, p.ChannelChatId);
        }).ToList();
    }

    internal static async Task<Results<Ok<Paged<ProductView>>, ProblemHttpResult>> ListProducts(BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock,
        CancellationToken ct, long? city = null, long? district = null, long? category = null, bool? in_stock = null, string? search = null,
        int page = 1, int pageSize = 20)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var q = await CatalogQueries.FilterAsync(db, db.Products.AsNoTracking().Where(p => p.IsActive), district ?? city ?? 0, category ?? 0, ct);
        if (!string.IsNullOrWhiteSpace(search))
        {
            var s = search.Trim().ToLower();
            q = q.Where(p => p.Name.ToLower().Contains(s) || p.Description.ToLower().Contains(s));
        }
        if (in_stock is { } want)
        {
            var stocked = q.Where(p => (p.Kind != ProductKind.UniqueItem && p.Kind != ProductKind.Digital) ||
                db.StockUnits.Any(u => u.ProductId == p.Id && (u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now))));
            q = want ? stocked : q.Except(stocked);
        }
        var paged = await Paged<Product>.Of(q.OrderBy(p => p.Name).ThenBy(p => p.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<ProductView>(await ViewsAsync(db, paged.Items.ToList(), Cur(o), now, ct), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<ProductView>, ProblemHttpResult>> GetProduct(long id, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct)
    {
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.IsActive, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        return TypedResults.Ok((await ViewsAsync(db, [p], Cur(o), clock.GetUtcNow().UtcDateTime, ct))[0]);
    }

    internal static async Task<Ok<List<CityView>>> Locations(BazaarDb db, CancellationToken ct)
    {
        var all = await db.ShopLocations.AsNoTracking().OrderBy(l => l.Position).ThenBy(l => l.Name).ToListAsync(ct);
        return TypedResults.Ok(all.Where(l => l.ParentId is null)
            .Select(c => new CityView(c.Id, c.Name, all.Where(d => d.ParentId == c.Id).Select(d => new DistrictView(d.Id, d.Name)).ToList())).ToList());
    }

    internal static async Task<Ok<List<CategoryView>>> Categories(BazaarDb db, CancellationToken ct) =>
        TypedResults.Ok(await db.ShopCategories.AsNoTracking().OrderBy(c => c.Position).ThenBy(c => c.Name).Select(c => new CategoryView(c.Id, c.Name)).ToListAsync(ct));

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Photo(long id, BazaarDb db, CancellationToken ct)
    {
        var p = await db.ProductPhotos.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Content != null, ct);
        return p is null ? Problems.NotFound("photo_not_found", $"There is no stored photo {id}.") : TypedResults.File(p.Content!, p.ContentType ?? "image/png");
    }

    // Admin: products

    internal static async Task<Ok<Paged<ProductView>>> AdminList(BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct,
        int page = 1, int pageSize = 50)
    {
        var paged = await Paged<Product>.Of(db.Products.AsNoTracking().OrderBy(p => p.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<ProductView>(await ViewsAsync(db, paged.Items.ToList(), Cur(o), clock.GetUtcNow().UtcDateTime, ct), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<ProductView>, ProblemHttpResult>> AdminGet(long id, BazaarDb db, IOptions<ShopOptions> o, TimeProvider clock, CancellationToken ct)
    {
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        return TypedResults.Ok((await ViewsAsync(db, [p], Cur(o), clock.GetUtcNow().UtcDateTime, ct))[0]);
    }

    private static async Task<ProblemHttpResult?> ValidateAsync(ProductRequest r, BazaarDb db, string currency, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(r.Name) || r.Name.Length > 200) return Problems.BadRequest("invalid_name", "A product needs a name of 1 to 200 characters.");
        if ((r.Description?.Length ?? 0) > 4000) return Problems.BadRequest("invalid_description", "The description is at most 4000 characters.");
        if (!ProductKind.All.Contains(r.Kind)) return Problems.BadRequest("invalid_kind", $"Kind is one of {string.Join(", ", ProductKind.All)}.");
        if (!Currencies.TryToMinor(r.Price, currency, out var minor) || minor < 0)
            return Problems.BadRequest("invalid_price", $"The price is a non-negative amount in {currency} with at most {Currencies.Scale(currency)} decimals.");
        if (r.DiscountPercent is < 0 or > Pricing.MaxDiscountPercent) return Problems.BadRequest("invalid_discount", "A discount is 0 to 90 percent.");
        if (r.DiscountStartsAt is { } s && r.DiscountEndsAt is { } e && e <= s) return Problems.BadRequest("invalid_discount", "The discount must end after it starts.");
        if (r.CategoryId is { } c && !await db.ShopCategories.AnyAsync(x => x.Id == c, ct)) return Problems.BadRequest("category_not_found", $"There is no category {c}.");
        if (r.LocationId is { } l && !await db.ShopLocations.AnyAsync(x => x.Id == l, ct)) return Problems.BadRequest("location_not_found", $"There is no location {l}.");
        if (r.Kind == ProductKind.CreditPack && r.Credits is null or <= 0) return Problems.BadRequest("invalid_credits", "A credit pack grants a positive number of credits.");
        if (r.Kind == ProductKind.Subscription && r.SubscriptionDays is null or <= 0 or > 3660) return Problems.BadRequest("invalid_days", "A subscription lasts 1 to 3660 days.");
        return null;
    }

    private static void Apply(Product p, ProductRequest r, string currency, DateTime now)
    {
        Currencies.TryToMinor(r.Price, currency, out var minor);
        p.Name = r.Name.Trim(); p.Description = r.Description?.Trim() ?? ""; p.Kind = r.Kind; p.BasePrice = minor;
        p.CategoryId = r.CategoryId; p.LocationId = r.LocationId; p.DiscountPercent = r.DiscountPercent;
        p.DiscountStartsAt = r.DiscountStartsAt?.ToUniversalTime(); p.DiscountEndsAt = r.DiscountEndsAt?.ToUniversalTime();
        p.IsActive = r.IsActive; p.Credits = r.Credits; p.SubscriptionDays = r.SubscriptionDays;
        p.EntitlementKey = string.IsNullOrWhiteSpace(r.EntitlementKey) ? null : r.EntitlementKey.Trim();
        p.ChannelChatId = string.IsNullOrWhiteSpace(r.ChannelChatId) ? null : r.ChannelChatId.Trim();
        p.UpdatedAt = now;
        if (r.Photos is not null)
        {
            p.Photos.RemoveAll(x => x.Content is null);
            var i = p.Photos.Count;
            p.Photos.AddRange(r.Photos.Where(u => !string.IsNullOrWhiteSpace(u)).Select(u => new ProductPhoto { Url = u.Trim(), Position = i++ }));
        }
    }

    internal static async Task<Results<Created<ProductView>, ProblemHttpResult>> Create(ProductRequest request, BazaarDb db, IOptions<ShopOptions> o,
        TimeProvider clock, CancellationToken ct)
    {
        if (await ValidateAsync(request, db, Cur(o), ct) is { } bad) return bad;
        var now = clock.GetUtcNow().UtcDateTime;
        var p = new Product { Name = "", Kind = request.Kind, CreatedAt = now };
        Apply(p, request, Cur(o), now);
        db.Products.Add(p);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/admin/products/{p.Id}", (await ViewsAsync(db, [p], Cur(o), now, ct))[0]);
    }

    internal static async Task<Results<Ok<ProductView>, ProblemHttpResult>> Update(long id, ProductRequest request, BazaarDb db, IOptions<ShopOptions> o,
        TimeProvider clock, CancellationToken ct)
    {
        var p = await db.Products.Include(x => x.Photos).FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        if (await ValidateAsync(request, db, Cur(o), ct) is { } bad) return bad;
        if (request.Kind != p.Kind && await db.StockUnits.AnyAsync(u => u.ProductId == id, ct))
            return Problems.Conflict("kind_locked", "A product with stock units keeps its kind.");
        var now = clock.GetUtcNow().UtcDateTime;
        Apply(p, request, Cur(o), now);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok((await ViewsAsync(db, [p], Cur(o), now, ct))[0]);
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(long id, BazaarDb db, CancellationToken ct)
    {
        var p = await db.Products.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        if (await db.Reservations.AnyAsync(r => r.ProductId == id, ct) || await db.Orders.AnyAsync(r => r.ProductId == id, ct))
            return Problems.Conflict("product_in_use", "The product was reserved or sold; set isActive to false instead.");
        db.Products.Remove(p);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    // Admin: stock

    private static UnitView View(StockUnit u) => new(u.Id, u.Status, u.OrderId, u.Secret, u.FileUrl, u.PhotoUrl, u.Latitude, u.Longitude, u.Address, u.Details, u.CreatedAt, u.SoldAt);

    internal static async Task<Results<Ok<Paged<UnitView>>, ProblemHttpResult>> ListUnits(long id, BazaarDb db, CancellationToken ct, string? status = null,
        int page = 1, int pageSize = 100)
    {
        if (!await db.Products.AnyAsync(p => p.Id == id, ct)) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        if (status is not null && !UnitStatus.All.Contains(status)) return Problems.InvalidStatus(UnitStatus.All);
        var q = db.StockUnits.AsNoTracking().Where(u => u.ProductId == id);
        if (status is not null) q = q.Where(u => u.Status == status);
        var paged = await Paged<StockUnit>.Of(q.OrderBy(u => u.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<UnitView>(paged.Items.Select(View).ToList(), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<AddedUnits>, ProblemHttpResult>> AddUnits(long id, List<UnitRequest> units, BazaarDb db, Reservations reservations,
        TimeProvider clock, CancellationToken ct)
    {
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        if (!ProductKind.HasStock(p.Kind)) return Problems.Unprocessable("no_stock_kind", $"A {p.Kind} product has no stock units.");
        if (units.Count is 0 or > 10_000) return Problems.BadRequest("invalid_units", "Send 1 to 10000 units.");
        foreach (var (u, i) in units.Select((u, i) => (u, i)))
        {
            if (p.Kind == ProductKind.Digital && string.IsNullOrWhiteSpace(u.Secret) && string.IsNullOrWhiteSpace(u.FileUrl))
                return Problems.BadRequest("invalid_units", $"Unit {i}: a digital unit needs a secret (key) or a fileUrl.");
            if (p.Kind == ProductKind.UniqueItem && string.IsNullOrWhiteSpace(u.Details) && string.IsNullOrWhiteSpace(u.Address) && u.Latitude is null)
                return Problems.BadRequest("invalid_units", $"Unit {i}: a unique item needs delivery details (details, address or coordinates).");
            if (u.Latitude is < -90 or > 90 || u.Longitude is < -180 or > 180 || (u.Latitude is null) != (u.Longitude is null))
                return Problems.BadRequest("invalid_units", $"Unit {i}: latitude and longitude go together, within range.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        db.StockUnits.AddRange(units.Select(u => new StockUnit
        {
            ProductId = id, CreatedAt = now, Secret = u.Secret?.Trim(), FileUrl = u.FileUrl?.Trim(), PhotoUrl = u.PhotoUrl?.Trim(),
            Latitude = u.Latitude, Longitude = u.Longitude, Address = u.Address?.Trim(), Details = u.Details?.Trim(),
        }));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new AddedUnits(units.Count, await reservations.FreeStockAsync(id, ct)));
    }

    internal static async Task<Results<Ok<AddedUnits>, ProblemHttpResult>> ImportKeys(long id, ImportRequest request, BazaarDb db, Reservations reservations,
        TimeProvider clock, CancellationToken ct)
    {
        var p = await db.Products.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (p is null) return Problems.NotFound(ShopErrors.ProductNotFound, $"There is no product {id}.");
        if (p.Kind != ProductKind.Digital) return Problems.Unprocessable("not_digital", "Keys are imported into a digital product.");
        var lines = (request.Text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length is 0 or > 10_000) return Problems.BadRequest("invalid_units", "Send 1 to 10000 keys, one per line.");
        if (lines.Any(l => l.Length > 2000)) return Problems.BadRequest("invalid_units", "A key is at most 2000 characters.");
        var added = Catalog.AddUnits(db, p, lines, clock.GetUtcNow().UtcDateTime).Count;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new AddedUnits(added, await reservations.FreeStockAsync(id, ct)));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteUnit(long id, long unitId, BazaarDb db, CancellationToken ct)
    {
        // Only a unit nobody holds: the condition is part of the DELETE, so a sale in between wins.
        var n = await db.StockUnits.Where(u => u.Id == unitId && u.ProductId == id && u.Status == UnitStatus.Available).ExecuteDeleteAsync(ct);
        if (n == 1) return TypedResults.NoContent();
        return await db.StockUnits.AnyAsync(u => u.Id == unitId && u.ProductId == id, ct)
            ? Problems.Conflict("unit_in_use", "The unit is reserved or sold.")
            : Problems.NotFound("unit_not_found", $"Product {id} has no unit {unitId}.");
    }

    internal static async Task<Results<Ok<BulkDiscountResult>, ProblemHttpResult>> BulkDiscount(BulkDiscountRequest r, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        if (r.Percent is < 0 or > Pricing.MaxDiscountPercent) return Problems.BadRequest("invalid_discount", "A discount is 0 to 90 percent.");
        if (r.StartsAt is { } s && r.EndsAt is { } e && e <= s) return Problems.BadRequest("invalid_discount", "The discount must end after it starts.");
        if (r.City is null && r.District is null && r.Category is null && (r.Ids is null || r.Ids.Count == 0))
            return Problems.BadRequest("filter_required", "Give at least one filter: city, district, category or ids.");
        var q = await CatalogQueries.FilterAsync(db, db.Products, r.District ?? r.City ?? 0, r.Category ?? 0, ct);
        if (r.Ids is { Count: > 0 } ids) q = q.Where(p => ids.Contains(p.Id));
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? starts = r.StartsAt?.ToUniversalTime(), ends = r.EndsAt?.ToUniversalTime();
        var changed = await q.Where(p => p.DiscountPercent != r.Percent || p.DiscountStartsAt != starts || p.DiscountEndsAt != ends)
            .ExecuteUpdateAsync(x => x.SetProperty(p => p.DiscountPercent, r.Percent).SetProperty(p => p.DiscountStartsAt, starts)
                .SetProperty(p => p.DiscountEndsAt, ends).SetProperty(p => p.UpdatedAt, now), ct);
        return TypedResults.Ok(new BulkDiscountResult(changed));
    }

    // Admin: orders

    internal static OrderView View(Order o, StockUnit? u) => new(o.Id, o.UserId, o.ProductId, o.ProductName, o.Kind, o.Status, o.PaidWith, o.PaymentId,
        o.OriginalPrice, o.DiscountPercent, o.DiscountAmount, o.FinalPrice, Currencies.ToMajor(o.FinalPrice, o.Currency), o.Currency, o.ReservationId,
        o.CreatedAt, u is null ? null : View(u));

    internal static async Task<Results<Ok<Paged<OrderView>>, ProblemHttpResult>> ListOrders(BazaarDb db, CancellationToken ct, long? userId = null, long? productId = null,
        string? status = null, DateTime? from = null, DateTime? to = null, int page = 1, int pageSize = 50)
    {
        if (!string.IsNullOrWhiteSpace(status) && !OrderStatus.All.Contains(status)) return Problems.InvalidStatus(OrderStatus.All);
        var q = db.Orders.AsNoTracking();
        if (userId is not null) q = q.Where(o => o.UserId == userId);
        if (productId is not null) q = q.Where(o => o.ProductId == productId);
        if (!string.IsNullOrWhiteSpace(status)) q = q.Where(o => o.Status == status);
        if (from is { } f) { var fu = f.ToUniversalTime(); q = q.Where(o => o.CreatedAt >= fu); }
        if (to is { } t) { var tu = t.ToUniversalTime(); q = q.Where(o => o.CreatedAt < tu); }
        var paged = await Paged<Order>.Of(q.OrderByDescending(o => o.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<OrderView>(paged.Items.Select(o => View(o, null)).ToList(), paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrder(long id, BazaarDb db, CancellationToken ct)
    {
        var o = await db.Orders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (o is null) return Problems.NotFound("order_not_found", $"There is no order {id}.");
        var u = o.UnitId is null ? null : await db.StockUnits.AsNoTracking().FirstOrDefaultAsync(x => x.Id == o.UnitId, ct);
        return TypedResults.Ok(View(o, u));
    }

    // Admin: buying for a user

    public static ProblemHttpResult Problem(string code) => code switch
    {
        ShopErrors.SoldOut => Problems.Conflict(code, "Sorry, this was just sold: no unit is free."),
        ShopErrors.ReservationExpired => Problems.Make(410, "Gone", code, "The reservation has expired or was closed; reserve again."),
        ShopErrors.InsufficientFunds => Problems.Make(402, "Payment required", code, "The wallet does not hold the price; top it up. The reservation holds until it expires."),
        ShopErrors.TooManyReservations => Problems.Conflict(code, "The user already holds the maximum number of reservations."),
        ShopErrors.ReservationNotFound => Problems.NotFound(code, "There is no such reservation for this user."),
        "already_purchased" => Problems.Conflict(code, "This reservation is already paid."),
        _ => Problems.NotFound(ShopErrors.ProductNotFound, "There is no such active product."),
    };

    private static ReservationView View(Reservation r) => new(r.Id, r.UserId, r.ProductId, r.Status, r.FinalPrice, r.Currency, r.ExpiresAt);

    internal static async Task<Results<Created<ReservationView>, ProblemHttpResult>> Reserve(ReserveRequest r, BazaarDb db, Reservations reservations, CancellationToken ct)
    {
        if (!await db.Users.AnyAsync(u => u.Id == r.UserId, ct)) return Problems.NotFound("user_not_found", $"There is no chat user {r.UserId}.");
        var result = await reservations.ReserveAsync(r.UserId, r.ProductId, ct);
        return result.Reservation is { } res ? TypedResults.Created($"/api/v1/admin/shop/reservations/{res.Id}", View(res)) : Problem(result.Error!);
    }

    internal static async Task<Results<Ok<OrderView>, ProblemHttpResult>> Confirm(long id, UserRequest r, Purchase purchase, CancellationToken ct)
    {
        var result = await purchase.ConfirmAsync(r.UserId, id, ct);
        return result.Ok ? TypedResults.Ok(View(result.Order!, null)) : Problem(result.Error!);
    }

    /// <summary>The same payment model as the bot's checkout: the order purpose at the reservation's held price.</summary>
    internal static async Task<Results<Created<Payments.PaymentsModule.PaymentView>, ProblemHttpResult>> Pay(long id, PayRequest r, BazaarDb db,
        Payments.PaymentCreator creator, Payments.ManualTransfers manual, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var res = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserId == r.UserId, ct);
        if (res is null) return Problem(ShopErrors.ReservationNotFound);
        if (res.Status == ReservationStatus.Completed) return Problem("already_purchased");
        if (res.Status != ReservationStatus.Active || res.ExpiresAt <= now) return Problem(ShopErrors.ReservationExpired);
        if (Payments.PaymentMethods.TryParse(r.Method, out var m) && Payments.PaymentMethods.IsManual(m))
            return Problems.Unprocessable("method_not_supported", "A manual transfer cannot pay a reservation; top up the wallet and confirm instead.");
        var (p, error) = await creator.CreateAsync(new Payments.CreatePaymentRequest(r.UserId, r.Method ?? "", "order",
            id.ToString(CultureInfo.InvariantCulture), Currencies.ToMajor(res.FinalPrice, res.Currency), res.Currency), ct);
        if (error is not null) return Problems.Make(error.Status, error.Status switch
        {
            400 => "Bad request", 404 => "Not found", 502 => "Bad gateway", 503 => "Service unavailable", _ => "Unprocessable",
        }, error.Code, error.Detail);
        return TypedResults.Created($"/api/v1/payments/{p!.Id}", await Payments.PaymentsModule.View(db, manual, p, ct));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Cancel(long id, UserRequest r, Reservations reservations, CancellationToken ct) =>
        await reservations.CancelAsync(r.UserId, id, ct) ? TypedResults.NoContent() : Problem(ShopErrors.ReservationExpired);
}
