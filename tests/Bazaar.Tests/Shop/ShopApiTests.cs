using System.Net;
using System.Net.Http.Json;
using Bazaar.Server.Shop;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Shop;

public sealed class ShopApiTests(ShopAppFactory factory) : IClassFixture<ShopAppFactory>
{
    private Task<(long CityA, long DistA1, long DistA2, long CityB, long DistB1, long Cat1, long Cat2)> Places() =>
        factory.WithDb(async db =>
        {
            var a = new Location { Name = "A" }; var b = new Location { Name = "B" };
            db.ShopLocations.AddRange(a, b);
            await db.SaveChangesAsync();
            var a1 = new Location { Name = "A1", ParentId = a.Id }; var a2 = new Location { Name = "A2", ParentId = a.Id }; var b1 = new Location { Name = "B1", ParentId = b.Id };
            var c1 = new Category { Name = "C1" }; var c2 = new Category { Name = "C2" };
            db.ShopLocations.AddRange(a1, a2, b1);
            db.ShopCategories.AddRange(c1, c2);
            await db.SaveChangesAsync();
            return (a.Id, a1.Id, a2.Id, b.Id, b1.Id, c1.Id, c2.Id);
        });

    private async Task<int> Bulk(object body)
    {
        using var c = factory.AdminClient();
        var r = await c.PostAsJsonAsync("/api/v1/admin/discounts/bulk", body);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return (await r.ReadJson()).GetProperty("changed").GetInt32();
    }

    private Task<int> Discount(long id) => factory.WithDb(db => db.Products.Where(p => p.Id == id).Select(p => p.DiscountPercent).SingleAsync());

    [Fact]
    public async Task Bulk_discount_applies_to_exactly_the_products_its_filter_matches()
    {
        var x = await Places();
        var pA1c1 = await ShopTestData.ProductAsync(factory, 1, location: x.DistA1, category: x.Cat1);
        var pA2c2 = await ShopTestData.ProductAsync(factory, 1, location: x.DistA2, category: x.Cat2);
        var pB1c1 = await ShopTestData.ProductAsync(factory, 1, location: x.DistB1, category: x.Cat1);

        Assert.Equal(2, await Bulk(new { percent = 10, city = x.CityA }));
        Assert.Equal((10, 10, 0), (await Discount(pA1c1.Id), await Discount(pA2c2.Id), await Discount(pB1c1.Id)));
        Assert.Equal(0, await Bulk(new { percent = 10, city = x.CityA })); // nothing changed the second time
        Assert.Equal(1, await Bulk(new { percent = 20, district = x.DistA2 }));
        Assert.Equal(2, await Bulk(new { percent = 30, category = x.Cat1 }));
        Assert.Equal((30, 20, 30), (await Discount(pA1c1.Id), await Discount(pA2c2.Id), await Discount(pB1c1.Id)));
        Assert.Equal(1, await Bulk(new { percent = 5, city = x.CityB, category = x.Cat1 }));
        Assert.Equal(2, await Bulk(new { percent = 0, ids = new[] { pA1c1.Id, pA2c2.Id } }));
        Assert.Equal((0, 0, 5), (await Discount(pA1c1.Id), await Discount(pA2c2.Id), await Discount(pB1c1.Id)));

        using var c = factory.AdminClient();
        var bad = await c.PostAsJsonAsync("/api/v1/admin/discounts/bulk", new { percent = 95, ids = new[] { pA1c1.Id } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var none = await c.PostAsJsonAsync("/api/v1/admin/discounts/bulk", new { percent = 5 });
        Assert.Equal("filter_required", (await none.ReadJson()).GetProperty("code").GetString());
        var anonymous = await factory.CreateClient().PostAsJsonAsync("/api/v1/admin/discounts/bulk", new { percent = 5, ids = new[] { pA1c1.Id } });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Customers_list_products_with_filters_prices_and_stock()
    {
        var x = await Places();
        var inStock = await ShopTestData.ProductAsync(factory, 2, price: 10_00, discount: 50, location: x.DistB1, category: x.Cat2, configure: p => p.Name = "Zebra lamp");
        var soldOut = await ShopTestData.ProductAsync(factory, 0, location: x.DistB1, category: x.Cat2, configure: p => p.Name = "Zebra rug");
        var client = factory.CreateClient();

        var page = await (await client.GetAsync($"/api/v1/products?city={x.CityB}&category={x.Cat2}&search=zebra")).ReadJson();
        Assert.Equal(2, page.GetProperty("total").GetInt32());
        var stocked = await (await client.GetAsync($"/api/v1/products?district={x.DistB1}&in_stock=true")).ReadJson();
        Assert.Equal([inStock.Id], stocked.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToArray());
        var one = await (await client.GetAsync($"/api/v1/products/{inStock.Id}")).ReadJson();
        Assert.Equal(5_00, one.GetProperty("price").GetProperty("finalMinor").GetInt64());
        Assert.Equal(2, one.GetProperty("stock").GetInt32());
        var missing = await client.GetAsync("/api/v1/products/999999");
        Assert.Equal("product_not_found", (await missing.ReadJson()).GetProperty("code").GetString());
        var locations = await (await client.GetAsync("/api/v1/catalog/locations")).ReadJson();
        Assert.Contains(locations.EnumerateArray(), c => c.GetProperty("id").GetInt64() == x.CityA && c.GetProperty("districts").GetArrayLength() == 2);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/catalog/categories")).StatusCode);
        _ = soldOut;
    }

    [Fact]
    public async Task An_unknown_status_filter_gets_invalid_status_naming_the_allowed_values()
    {
        using var c = factory.AdminClient();
        var created = await c.PostAsJsonAsync("/api/v1/admin/products", new { name = "Filter key", kind = "digital", price = 1.99m });
        var id = (await created.ReadJson()).GetProperty("id").GetInt64();
        var units = await (await c.GetAsync($"/api/v1/admin/products/{id}/units?status=lost")).AssertProblem(400, "invalid_status");
        Assert.Contains("available, reserved, sold", units.GetProperty("detail").GetString());
        var orders = await (await c.GetAsync("/api/v1/admin/orders?status=lost")).AssertProblem(400, "invalid_status");
        Assert.Contains("paid, refunded", orders.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/api/v1/admin/orders?status=paid")).StatusCode);
    }

    [Fact]
    public async Task Admins_create_products_add_stock_import_keys_and_buy_with_stable_problem_codes()
    {
        using var c = factory.AdminClient();
        var created = await c.PostAsJsonAsync("/api/v1/admin/products", new { name = "Game key", kind = "digital", price = 4.99m, description = "Steam" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.ReadJson()).GetProperty("id").GetInt64();
        var badKind = await c.PostAsJsonAsync("/api/v1/admin/products", new { name = "x", kind = "car", price = 1m });
        Assert.Equal("invalid_kind", (await badKind.ReadJson()).GetProperty("code").GetString());

        var import = await c.PostAsJsonAsync($"/api/v1/admin/products/{id}/units/import", new { text = "AAA-1\nAAA-2\n\nAAA-3\nAAA-4" });
        Assert.Equal(4, (await import.ReadJson()).GetProperty("added").GetInt32());
        var item = await c.PostAsJsonAsync("/api/v1/admin/products", new { name = "Chair", kind = "unique_item", price = 30m });
        var itemId = (await item.ReadJson()).GetProperty("id").GetInt64();
        var units = await c.PostAsJsonAsync($"/api/v1/admin/products/{itemId}/units", new[] { new { details = "Blue chair", latitude = 50.0, longitude = 19.9, address = "Yard" } });
        Assert.Equal(HttpStatusCode.OK, units.StatusCode);

        var user = await MoneyTestData.CreateUserAsync(factory);
        var r1 = await (await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = itemId })).ReadJson();
        var rid = r1.GetProperty("id").GetInt64();
        var soldOut = await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = itemId });
        Assert.Equal("sold_out", (await soldOut.ReadJson()).GetProperty("code").GetString());
        var poor = await c.PostAsJsonAsync($"/api/v1/admin/shop/reservations/{rid}/confirm", new { userId = user.Id });
        Assert.Equal((HttpStatusCode.PaymentRequired, "insufficient_funds"), (poor.StatusCode, (await poor.ReadJson()).GetProperty("code").GetString()));
        await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = id });
        await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = id });
        var tooMany = await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = id });
        Assert.Equal("too_many_reservations", (await tooMany.ReadJson()).GetProperty("code").GetString());
        factory.Clock.Advance(TimeSpan.FromMinutes(16));
        var expired = await c.PostAsJsonAsync($"/api/v1/admin/shop/reservations/{rid}/confirm", new { userId = user.Id });
        Assert.Equal((HttpStatusCode.Gone, "reservation_expired"), (expired.StatusCode, (await expired.ReadJson()).GetProperty("code").GetString()));

        await ShopTestData.FundAsync(factory, user.Id, 100_00);
        var r2 = await (await c.PostAsJsonAsync("/api/v1/admin/shop/reservations", new { userId = user.Id, productId = itemId })).ReadJson();
        var paid = await c.PostAsJsonAsync($"/api/v1/admin/shop/reservations/{r2.GetProperty("id").GetInt64()}/confirm", new { userId = user.Id });
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        var orderId = (await paid.ReadJson()).GetProperty("id").GetInt64();
        var list = await (await c.GetAsync($"/api/v1/admin/orders?userId={user.Id}&status=paid")).ReadJson();
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        var none = await (await c.GetAsync($"/api/v1/admin/orders?userId={user.Id}&productId={id}")).ReadJson();
        Assert.Equal(0, none.GetProperty("total").GetInt32());
        var order = await (await c.GetAsync($"/api/v1/admin/orders/{orderId}")).ReadJson();
        Assert.Equal("Blue chair", order.GetProperty("delivery").GetProperty("details").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await factory.CreateClient().GetAsync("/api/v1/admin/orders")).StatusCode);

        var doc = await (await factory.CreateClient().GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        foreach (var path in new[] { "/api/v1/products", "/api/v1/catalog/locations", "/api/v1/admin/discounts/bulk", "/api/v1/admin/orders/{id}", "/api/v1/admin/products/{id}/units/import" })
            Assert.Contains($"\"{path}\"", doc);
    }
}
