using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Dashboard;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>Every page and action against every role: allowed, redirected to sign-in, 403, and anti-forgery.</summary>
public sealed class DashboardPageTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private const string O = OperatorRoles.Owner, M = OperatorRoles.Manager, S = OperatorRoles.Support;

    /// <summary>Every dashboard route and the roles allowed on it. A route missing here fails <see cref="Every_dashboard_route_is_in_the_matrix"/>.</summary>
    public static readonly (string Method, string Path, string[] Roles)[] Matrix =
    [
        ("GET", "/admin", [O, M, S]),
        ("GET", "/admin/overview/pending", [O, M, S]),
        ("GET", "/admin/payments", [O, M, S]),
        ("GET", "/admin/payments/999999/proof", [O, M, S]),
        ("POST", "/admin/deposits/999999/approve", [O, M, S]),
        ("POST", "/admin/deposits/999999/reject", [O, M, S]),
        ("POST", "/admin/payments/999999/refund", [O, M]),
        ("GET", "/admin/ledger", [O, M, S]),
        ("GET", "/admin/shop", [O, M, S]),
        ("POST", "/admin/shop/bulk", [O, M]),
        ("GET", "/admin/shop/products/new", [O, M]),
        ("POST", "/admin/shop/products", [O, M]),
        ("GET", "/admin/shop/products/999999", [O, M, S]),
        ("POST", "/admin/shop/products/999999", [O, M]),
        ("POST", "/admin/shop/products/999999/units", [O, M]),
        ("POST", "/admin/shop/products/999999/keys", [O, M]),
        ("POST", "/admin/shop/products/999999/units/999999/delete", [O, M]),
        ("GET", "/admin/shop/orders", [O, M, S]),
        ("POST", "/admin/shop/orders/999999/resend", [O, M, S]),
        ("GET", "/admin/raffles", [O, M, S]),
        ("POST", "/admin/raffles", [O, M]),
        ("POST", "/admin/raffles/bulk", [O, M]),
        ("GET", "/admin/raffles/999999", [O, M, S]),
        ("POST", "/admin/raffles/999999", [O, M]),
        ("POST", "/admin/raffles/999999/draw", [O, M]),
        ("GET", "/admin/raffles/orders", [O, M, S]),
        ("GET", "/admin/raffles/orders/999999/proof", [O, M, S]),
        ("POST", "/admin/raffles/orders/999999/confirm", [O, M, S]),
        ("POST", "/admin/raffles/orders/999999/cancel", [O, M, S]),
        ("POST", "/admin/raffles/orders/bulk", [O, M, S]),
        ("GET", "/admin/giveaways", [O, M, S]),
        ("POST", "/admin/giveaways", [O, M]),
        ("GET", "/admin/giveaways/999999", [O, M, S]),
        ("POST", "/admin/giveaways/999999", [O, M]),
        ("POST", "/admin/giveaways/999999/publish", [O, M]),
        ("POST", "/admin/giveaways/999999/draw", [O, M]),
        ("GET", "/admin/checks", [O, M, S]),
        ("POST", "/admin/checks/tariffs", [O, M]),
        ("POST", "/admin/checks/tariffs/999999", [O, M]),
        ("POST", "/admin/checks/999999/cancel", [O, M]),
        ("POST", "/admin/checks/999999/retry", [O, M]),
        ("GET", "/admin/checks/999999/report.xlsx", [O, M, S]),
        ("GET", "/admin/users", [O, M, S]),
        ("GET", "/admin/users/999999", [O, M, S]),
        ("POST", "/admin/users/999999/adjust", [O]),
        ("POST", "/admin/users/999999/block", [O, M]),
        ("POST", "/admin/users/999999/unblock", [O, M]),
        ("GET", "/admin/events", [O, M, S]),
        ("POST", "/admin/events/999999/retry", [O, M]),
        ("GET", "/admin/jobs", [O, M, S]),
        ("POST", "/admin/jobs/999999/retry", [O, M]),
        ("POST", "/admin/jobs/999999/cancel", [O, M]),
        ("GET", "/admin/outbox", [O, M, S]),
        ("POST", "/admin/outbox/999999/retry", [O, M]),
        ("GET", "/admin/broadcasts", [O, M, S]),
        ("POST", "/admin/broadcasts", [O, M]),
        ("POST", "/admin/broadcasts/preview", [O, M]),
        ("GET", "/admin/broadcasts/999999", [O, M, S]),
        ("GET", "/admin/broadcasts/999999/progress", [O, M, S]),
        ("POST", "/admin/broadcasts/999999/start", [O, M]),
        ("POST", "/admin/broadcasts/999999/test", [O, M]),
        ("POST", "/admin/broadcasts/999999/pause", [O, M]),
        ("POST", "/admin/broadcasts/999999/resume", [O, M]),
        ("POST", "/admin/broadcasts/999999/cancel", [O, M]),
        ("GET", "/admin/channel-posts", [O, M, S]),
        ("POST", "/admin/channel-posts", [O, M]),
        ("GET", "/admin/channel-posts/999999", [O, M, S]),
        ("POST", "/admin/channel-posts/999999", [O, M]),
        ("POST", "/admin/channel-posts/999999/delete", [O, M]),
        ("GET", "/admin/guides", [O, M, S]),
        ("POST", "/admin/guides", [O, M]),
        ("POST", "/admin/guide-preview", [O, M]),
        ("GET", "/admin/guides/no-such-topic", [O, M, S]),
        ("POST", "/admin/guides/no-such-topic", [O, M]),
        ("POST", "/admin/guides/no-such-topic/delete", [O, M]),
        ("GET", "/admin/mini-app", [O, M, S]),
        ("POST", "/admin/mini-app/menu-button", [O, M]),
        ("GET", "/admin/audit", [O, M]),
        ("GET", "/admin/settings", [O]),
        ("POST", "/admin/settings/api-keys", [O]),
        ("POST", "/admin/settings/api-keys/999999/revoke", [O]),
        ("POST", "/admin/settings/operators", [O]),
        ("POST", "/admin/settings/operators/999999/disable", [O]),
        ("POST", "/admin/settings/operators/999999/enable", [O]),
        ("POST", "/admin/settings/operators/999999/role", [O]),
        ("POST", "/admin/settings/admin-ids", [O]),
        ("POST", "/admin/settings/payments", [O]),
        ("POST", "/admin/settings/referrals", [O]),
        ("GET", "/admin/settings/texts", [O]),
        ("POST", "/admin/settings/texts", [O]),
        ("POST", "/admin/signout", [O, M, S]),
    ];

    /// <summary>POSTs that answer htmx with a fragment (still behind the role and the anti-forgery token).</summary>
    private static readonly string[] HtmxFragments = ["/admin/broadcasts/preview", "/admin/guide-preview"];

    /// <summary>POSTs that show a rejected form again with its error (422), keeping what was typed, instead of redirecting.</summary>
    private static readonly string[] FormsShownAgain = ["/admin/channel-posts", "/admin/guides"];

    public static TheoryData<string, string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, string, bool>();
        foreach (var (method, path, roles) in Matrix)
            foreach (var role in OperatorRoles.All)
                data.Add(method, path, role, roles.Contains(role));
        return data;
    }

    public static TheoryData<string, string> Routes()
    {
        var data = new TheoryData<string, string>();
        foreach (var (method, path, _) in Matrix) data.Add(method, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_role_reaches_exactly_its_pages_and_actions(string method, string path, string role, bool allowed)
    {
        var c = await app.SignedIn(role);
        var r = method == "GET" ? await c.GetAsync(path) : await DashboardTestData.PostForm(c, path);
        if (!allowed)
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("Your role does not include this page", await r.Content.ReadAsStringAsync());
            return;
        }
        Assert.NotEqual(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.NotEqual(HttpStatusCode.BadRequest, r.StatusCode); // the token was accepted
        if (method == "POST" && HtmxFragments.Contains(path))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode); // a piece of page for htmx, not a form's redirect
        }
        else if (method == "POST" && FormsShownAgain.Contains(path))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode); // the empty form, shown again with what is missing
            Assert.Contains("id=\"form-error\"", await r.Content.ReadAsStringAsync());
        }
        else if (method == "POST")
        {
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            Assert.DoesNotContain("/admin/signin?", r.Headers.Location!.ToString());
        }
        else
        {
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{path}: {r.StatusCode}");
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Without_signing_in_every_route_redirects_to_sign_in(string method, string path)
    {
        var c = app.Browser();
        var r = method == "GET" ? await c.GetAsync(path) : await c.PostAsync(path, new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
        Assert.StartsWith("http://localhost/admin/signin?ReturnUrl=", r.Headers.Location!.ToString());
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Every_form_post_needs_its_anti_forgery_token(string method, string path)
    {
        if (method != "POST") return;
        var c = await app.SignedIn(O);
        var missing = await c.PostAsync(path, new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("The form has expired", await missing.Content.ReadAsStringAsync());

        // A token minted for another operator's session is refused too.
        var other = await app.SignedIn(M);
        var foreign = DashboardTestData.Token(await (await other.GetAsync("/admin")).Content.ReadAsStringAsync());
        var wrong = await c.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = foreign }));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
    }

    [Fact]
    public async Task The_sign_in_form_needs_its_anti_forgery_token()
    {
        var r = await app.Browser().PostAsync("/admin/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["username"] = "owner", ["password"] = DashboardAppFactory.OwnerPassword }));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public void Every_dashboard_route_is_in_the_matrix()
    {
        var sources = app.Services.GetRequiredService<IEnumerable<EndpointDataSource>>();
        var routes = sources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin") == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        // The first id in a path is {id:long}, a second one {unitId:long}; a guide's topic is {topic}.
        static string Pattern(string path)
        {
            path = path.Replace("/no-such-topic", "/{topic}");
            var parts = path.Split("/999999");
            return parts.Length switch { 1 => path, 2 => parts[0] + "/{id:long}" + parts[1], _ => parts[0] + "/{id:long}" + parts[1] + "/{unitId:long}" + parts[2] };
        }
        var covered = Matrix.Select(x => $"{x.Method} {Pattern(x.Path)}").ToHashSet();
        covered.UnionWith(["GET /admin/signin", "POST /admin/signin", "GET /admin/assets/{file}"]);
        covered.Add("GET /admin/"); // the overview's pattern
        var missing = routes.Where(r => !covered.Contains(r) && !covered.Contains(r.TrimEnd('/'))).ToList();
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/payments")]
    [InlineData("/admin/users")]
    [InlineData("/admin/shop")]
    [InlineData("/admin/shop/products/new")]
    [InlineData("/admin/shop/orders")]
    [InlineData("/admin/raffles")]
    [InlineData("/admin/raffles/orders")]
    [InlineData("/admin/giveaways")]
    [InlineData("/admin/checks")]
    [InlineData("/admin/events")]
    [InlineData("/admin/jobs")]
    [InlineData("/admin/outbox")]
    [InlineData("/admin/audit")]
    [InlineData("/admin/broadcasts")]
    [InlineData("/admin/channel-posts")]
    [InlineData("/admin/guides")]
    [InlineData("/admin/mini-app")]
    [InlineData("/admin/settings")]
    [InlineData("/admin/settings/texts")]
    public async Task Each_page_renders_in_the_frame_with_its_libraries_served_locally(string path)
    {
        var c = await app.SignedIn(O);
        var r = await c.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var html = await r.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/admin/assets/htmx.min.js\"", html);
        Assert.DoesNotContain("https://", html.Split("<main>")[0]); // nothing from a CDN
        Assert.Contains("Sign out", html);
    }

    [Theory]
    [InlineData("htmx.min.js", "text/javascript")]
    [InlineData("chart.umd.min.js", "text/javascript")]
    [InlineData("dashboard.css", "text/css")]
    [InlineData("dashboard.js", "text/javascript")]
    public async Task The_assets_are_served_by_the_server(string file, string type)
    {
        var r = await app.Browser().GetAsync("/admin/assets/" + file);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
        Assert.True((await r.Content.ReadAsByteArrayAsync()).Length > 1000);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Browser().GetAsync("/admin/assets/..%2Fsecrets.json")).StatusCode);
    }

    [Fact]
    public void Role_policies_are_one_table()
    {
        Assert.Equal([O, M, S], DashboardAuth.Roles[DashboardAuth.Any]);
        Assert.Equal([O, M], DashboardAuth.Roles[DashboardAuth.Manage]);
        Assert.Equal([O], DashboardAuth.Roles[DashboardAuth.Owner]);
    }
}
