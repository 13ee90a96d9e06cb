using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Tests.Shop;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>The shop pages: filters, bulk discount and (de)activation, create/edit with a photo, stock, orders and re-delivery.</summary>
public sealed class ShopPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static KeyValuePair<string, string> F(string k, string v) => new(k, v);

    private static IEnumerable<KeyValuePair<string, string>> Bulk(string op, IEnumerable<long> ids, string? percent = null) =>
        ids.Select(id => F("ids", id.ToString())).Append(F("op", op)).Concat(percent is null ? [] : [F("percent", percent)]);

    private Task<Product> Load(long id) => app.WithDb(db => db.Products.AsNoTracking().SingleAsync(p => p.Id == id));

    [Fact]
    public async Task A_bulk_discount_on_three_selected_products_changes_exactly_those_and_the_list_shows_the_struck_price()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        var products = new List<Product>();
        for (var i = 0; i < 4; i++) products.Add(await ShopTestData.ProductAsync(app, 2, price: 10_00, configure: p => p.Name = $"Lamp {tag} {i}"));
        var c = await app.SignedIn(OperatorRoles.Manager);

        var r = await DashboardTestData.PostFields(c, "/admin/shop/bulk", Bulk("discount", products.Take(3).Select(p => p.Id), "20"), "/admin/shop");
        Assert.Equal("20% discount set on 3 product(s).", await DashboardTestData.FlashOrError(c, r));
        var loaded = await Task.WhenAll(products.Select(p => Load(p.Id)));
        Assert.Equal(new[] { 20, 20, 20, 0 }, loaded.Select(p => p.DiscountPercent).ToArray());

        var html = await (await c.GetAsync($"/admin/shop?q={tag}")).Content.ReadAsStringAsync();
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(html, "<s class=\"muted\">10.00 USD</s> <b>8.00 USD</b>").Count);
        var discounted = await (await c.GetAsync($"/admin/shop?q={tag}&discount=yes")).Content.ReadAsStringAsync();
        Assert.DoesNotContain($"Lamp {tag} 3", discounted);
        Assert.Contains($"Lamp {tag} 2", discounted);

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Action == "shop.bulk_discount").OrderByDescending(a => a.Id).FirstAsync());
        Assert.Equal("manager", audit.Actor);
        Assert.Contains("\"discountPercent\":0", audit.Before);
        Assert.Contains("\"percent\":20", audit.After);
    }

    [Fact]
    public async Task The_bulk_discount_uses_the_shops_own_limits_and_needs_a_selection()
    {
        var p = await ShopTestData.ProductAsync(app, 1);
        var c = await app.SignedIn(OperatorRoles.Owner);
        Assert.Equal("!A discount is 0 to 90 percent.",
            await DashboardTestData.FlashOrError(c, await DashboardTestData.PostFields(c, "/admin/shop/bulk", Bulk("discount", [p.Id], "95"))));
        Assert.Equal("!Select at least one product first.",
            await DashboardTestData.FlashOrError(c, await DashboardTestData.PostFields(c, "/admin/shop/bulk", Bulk("discount", [], "10"))));
        Assert.Equal(0, (await Load(p.Id)).DiscountPercent);
    }

    [Fact]
    public async Task Deactivating_and_activating_selected_products_hides_and_shows_them_to_customers()
    {
        var a = await ShopTestData.ProductAsync(app, 1);
        var b = await ShopTestData.ProductAsync(app, 1);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var r = await DashboardTestData.PostFields(c, "/admin/shop/bulk", Bulk("deactivate", [a.Id, b.Id]));
        Assert.Equal("2 product(s) deactivated: customers no longer see them.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync($"/api/v1/products/{a.Id}")).StatusCode);

        r = await DashboardTestData.PostFields(c, "/admin/shop/bulk", Bulk("activate", [a.Id]));
        Assert.Equal("1 product(s) activated: customers see them now.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync($"/api/v1/products/{a.Id}")).StatusCode);
        Assert.False((await Load(b.Id)).IsActive);
    }

    [Fact]
    public async Task The_stock_filter_tells_sold_out_products_from_those_in_stock()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        await ShopTestData.ProductAsync(app, 3, configure: p => p.Name = $"Full {tag}");
        await ShopTestData.ProductAsync(app, 0, configure: p => p.Name = $"Empty {tag}");
        var c = await app.SignedIn(OperatorRoles.Support);
        var inStock = await (await c.GetAsync($"/admin/shop?q={tag}&stock=in")).Content.ReadAsStringAsync();
        var out_ = await (await c.GetAsync($"/admin/shop?q={tag}&stock=out")).Content.ReadAsStringAsync();
        Assert.Contains($"Full {tag}", inStock);
        Assert.DoesNotContain($"Empty {tag}", inStock);
        Assert.Contains($"Empty {tag}", out_);
        Assert.Contains("SOLD OUT", out_);
        Assert.DoesNotContain($"Full {tag}", out_);
        Assert.DoesNotContain("action=\"/admin/shop/bulk\"", inStock); // support reads, but has no bulk actions
    }

    [Fact]
    public async Task A_product_is_created_with_an_uploaded_photo_and_edited_without_losing_its_fields()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var name = "Poster " + Guid.NewGuid().ToString("N")[..6];
        var png = CryptoPayments.QrPng("poster");
        var r = await DashboardTestData.PostMultipart(c, "/admin/shop/products", new()
        {
            ["name"] = name, ["kind"] = ProductKind.UniqueItem, ["price"] = "12.50", ["description"] = "A1 size", ["isActive"] = "on",
            ["discountPercent"] = "0",
        }, ("photo", "poster.png", "image/png", png), "/admin/shop/products/new");
        Assert.Equal($"Product \"{name}\" created.", await DashboardTestData.FlashOrError(c, r));
        var p = await app.WithDb(db => db.Products.AsNoTracking().Include(x => x.Photos).SingleAsync(x => x.Name == name));
        Assert.Equal((1250L, true), (p.BasePrice, p.IsActive));
        Assert.Equal(png, Assert.Single(p.Photos).Content);

        r = await DashboardTestData.PostMultipart(c, $"/admin/shop/products/{p.Id}", new()
        {
            ["name"] = name, ["kind"] = ProductKind.UniqueItem, ["price"] = "15", ["description"] = "A1 size", ["discountPercent"] = "10",
        }, tokenPage: $"/admin/shop/products/{p.Id}");
        Assert.Equal("Saved.", await DashboardTestData.FlashOrError(c, r));
        var edited = await app.WithDb(db => db.Products.AsNoTracking().Include(x => x.Photos).SingleAsync(x => x.Id == p.Id));
        Assert.Equal((1500L, 10, false, 1), (edited.BasePrice, edited.DiscountPercent, edited.IsActive, edited.Photos.Count));
        var page = await (await c.GetAsync($"/admin/shop/products/{p.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("<s class=\"muted\">15.00 USD</s> <b>13.50 USD</b>", page);
    }

    [Fact]
    public async Task A_photo_over_the_default_body_limit_but_within_5_MB_is_accepted()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var name = "Big " + Guid.NewGuid().ToString("N")[..6];
        var png = CryptoPayments.QrPng("big").Concat(new byte[3 * 1024 * 1024]).ToArray(); // a large camera photo
        var r = await DashboardTestData.PostMultipart(c, "/admin/shop/products", new()
        {
            ["name"] = name, ["kind"] = ProductKind.UniqueItem, ["price"] = "1", ["discountPercent"] = "0",
        }, ("photo", "big.png", "image/png", png), "/admin/shop/products/new");
        Assert.Equal($"Product \"{name}\" created.", await DashboardTestData.FlashOrError(c, r));
    }

    [Fact]
    public async Task Product_errors_come_from_the_shops_validation_and_a_non_picture_is_refused()
    {
        var c = await app.SignedIn(OperatorRoles.Owner);
        var r = await DashboardTestData.PostMultipart(c, "/admin/shop/products", new() { ["name"] = "", ["kind"] = ProductKind.Digital, ["price"] = "1" });
        Assert.Equal("!A product needs a name of 1 to 200 characters.", await DashboardTestData.FlashOrError(c, r));
        r = await DashboardTestData.PostMultipart(c, "/admin/shop/products", new() { ["name"] = "X", ["kind"] = ProductKind.Digital, ["price"] = "1" },
            ("photo", "x.exe", "application/octet-stream", [1, 2, 3]));
        Assert.Equal("!A photo is a PNG, JPEG, WebP or GIF picture of at most 5 MB.", await DashboardTestData.FlashOrError(c, r));
        Assert.False(await app.WithDb(db => db.Products.AnyAsync(p => p.Name == "X")));
    }

    [Fact]
    public async Task Keys_are_imported_from_a_text_file_and_shown_masked()
    {
        var p = await ShopTestData.ProductAsync(app, 0);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var file = System.Text.Encoding.UTF8.GetBytes("AAAA-1111-ZZZ1\r\nAAAA-2222-ZZZ2\n\nAAAA-3333-ZZZ3\n");
        var r = await DashboardTestData.PostMultipart(c, $"/admin/shop/products/{p.Id}/keys", new() { ["keys"] = "" }, ("file", "keys.txt", "text/plain", file));
        Assert.Equal("3 key(s) imported; 3 free in stock now.", await DashboardTestData.FlashOrError(c, r));
        var secrets = await app.WithDb(db => db.StockUnits.Where(u => u.ProductId == p.Id).OrderBy(u => u.Id).Select(u => u.Secret).ToListAsync());
        Assert.Equal(["AAAA-1111-ZZZ1", "AAAA-2222-ZZZ2", "AAAA-3333-ZZZ3"], secrets);
        var html = await (await c.GetAsync($"/admin/shop/products/{p.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("AAA…ZZ1", html);
        Assert.DoesNotContain("AAAA-1111-ZZZ1", html);
    }

    [Fact]
    public async Task An_item_with_delivery_details_is_added_to_stock_and_a_free_one_can_be_removed()
    {
        var p = await ShopTestData.ProductAsync(app, 0, kind: ProductKind.UniqueItem);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var r = await DashboardTestData.PostFields(c, $"/admin/shop/products/{p.Id}/units",
            [F("details", "Under the blue bench"), F("address", "Park 3"), F("latitude", "52.1"), F("longitude", "21.2"), F("count", "2")]);
        Assert.Equal("2 item(s) added; 2 free in stock now.", await DashboardTestData.FlashOrError(c, r));
        var units = await app.WithDb(db => db.StockUnits.AsNoTracking().Where(u => u.ProductId == p.Id).ToListAsync());
        Assert.All(units, u => Assert.Equal(("Under the blue bench", "Park 3", 52.1, 21.2), (u.Details, u.Address, u.Latitude!.Value, u.Longitude!.Value)));

        r = await DashboardTestData.PostFields(c, $"/admin/shop/products/{p.Id}/units", [F("details", "x"), F("latitude", "52.1")]);
        Assert.StartsWith("!Give both latitude and longitude", await DashboardTestData.FlashOrError(c, r));

        r = await DashboardTestData.PostForm(c, $"/admin/shop/products/{p.Id}/units/{units[0].Id}/delete");
        Assert.Equal($"Unit {units[0].Id} removed from stock.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(1, await app.WithDb(db => db.StockUnits.CountAsync(u => u.ProductId == p.Id)));
    }

    [Fact]
    public async Task Support_sends_a_delivery_again_and_the_buyer_gets_the_key_once_more()
    {
        var user = await app.UserAsync("Bruno");
        var p = await ShopTestData.ProductAsync(app, 1, price: 5_00);
        await ShopTestData.FundAsync(app, user.Id, 5_00);
        long orderId;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var res = await scope.ServiceProvider.GetRequiredService<Reservations>().ReserveAsync(user.Id, p.Id, default);
            var bought = await scope.ServiceProvider.GetRequiredService<Purchase>().ConfirmAsync(user.Id, res.Reservation!.Id, default);
            orderId = bought.Order!.Id;
        }
        var key = $"KEY-{p.Id}-0";
        int Sent(List<OutboxMessage> m) => m.Count(x => x.Payload.Contains(key));
        var before = Sent(await app.OutboxFor(long.Parse(user.ExternalId)));

        var c = await app.SignedIn(OperatorRoles.Support);
        var list = await (await c.GetAsync($"/admin/shop/orders?userId={user.Id}")).Content.ReadAsStringAsync();
        Assert.Contains($"data-order=\"{orderId}\"", list);
        var r = await DashboardTestData.PostForm(c, $"/admin/shop/orders/{orderId}/resend", tokenPage: "/admin/shop/orders");
        Assert.Equal($"The delivery of order {orderId} was sent to Bruno again.", await DashboardTestData.FlashOrError(c, r));
        Assert.Equal(before + 1, Sent(await app.OutboxFor(long.Parse(user.ExternalId))));

        r = await DashboardTestData.PostForm(c, "/admin/shop/orders/99999999/resend");
        Assert.Equal("!There is no order 99999999.", await DashboardTestData.FlashOrError(c, r));
    }
}
