using System.Net;
using Bazaar.Server.Admin;
using Bazaar.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>Signing in with the operator accounts: wrong passwords, lock-out, disabled accounts, sign-out.</summary>
public sealed class SignInTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private const string Pass = "right-password-1";

    private async Task<string> NewOperatorAsync(string role = OperatorRoles.Manager)
    {
        var name = "op" + Guid.NewGuid().ToString("N")[..10];
        await app.WithDb(async db =>
        {
            db.Operators.Add(new Operator { Username = name, PasswordHash = PasswordHash.Create(Pass), Role = role, CreatedAt = app.Clock.GetUtcNow().UtcDateTime });
            await db.SaveChangesAsync();
        });
        return name;
    }

    private Task<Operator> OperatorAsync(string name) => app.WithDb(db => db.Operators.AsNoTracking().SingleAsync(o => o.Username == name));

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_for_the_right_password_until_the_lock_ends()
    {
        var name = await NewOperatorAsync();
        for (var i = 1; i <= 4; i++)
        {
            var r = await DashboardTestData.SignIn(app.Browser(), name, "wrong-" + i);
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("The username or password is wrong.", await r.Content.ReadAsStringAsync());
        }
        var fifth = await DashboardTestData.SignIn(app.Browser(), name, "wrong-5");
        Assert.Equal(HttpStatusCode.TooManyRequests, fifth.StatusCode);
        Assert.Contains("locked for 15 minutes", await fifth.Content.ReadAsStringAsync());

        // Locked: the right password does not get in, and the attempt leaves no cookie.
        var c = app.Browser();
        var right = await DashboardTestData.SignIn(c, name, Pass);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await c.GetAsync("/admin")).StatusCode);
        Assert.NotNull((await OperatorAsync(name)).LockedUntil);

        app.Clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await DashboardTestData.SignIn(app.Browser(), name, Pass)).StatusCode);
        app.Clock.Advance(TimeSpan.FromMinutes(1.5));
        var after = app.Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardTestData.SignIn(after, name, Pass)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await after.GetAsync("/admin")).StatusCode);
        var op = await OperatorAsync(name);
        Assert.Equal((0, (DateTime?)null), (op.FailedSignIns, op.LockedUntil));
    }

    [Fact]
    public async Task A_successful_sign_in_resets_the_count_of_wrong_passwords()
    {
        var name = await NewOperatorAsync();
        for (var i = 0; i < 4; i++) await DashboardTestData.SignIn(app.Browser(), name, "nope");
        Assert.Equal(4, (await OperatorAsync(name)).FailedSignIns);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardTestData.SignIn(app.Browser(), name, Pass)).StatusCode);
        Assert.Equal(0, (await OperatorAsync(name)).FailedSignIns);
        // Four more wrong ones are again not enough to lock.
        for (var i = 0; i < 4; i++) Assert.Equal(HttpStatusCode.Unauthorized, (await DashboardTestData.SignIn(app.Browser(), name, "nope")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardTestData.SignIn(app.Browser(), name, Pass)).StatusCode);
    }

    [Fact]
    public async Task Parallel_guesses_cannot_slip_past_the_limit()
    {
        var name = await NewOperatorAsync();
        var tasks = Enumerable.Range(0, 12).Select(i => DashboardTestData.SignIn(app.Browser(), name, "guess-" + i)).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.Contains(results, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.NotNull((await OperatorAsync(name)).LockedUntil);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await DashboardTestData.SignIn(app.Browser(), name, Pass)).StatusCode);
    }

    [Fact]
    public async Task An_unknown_username_gets_the_same_answer_as_a_wrong_password()
    {
        var r = await DashboardTestData.SignIn(app.Browser(), "nobody-" + Guid.NewGuid().ToString("N")[..6], "whatever");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("The username or password is wrong.", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_disabled_operator_cannot_sign_in_and_their_open_session_ends()
    {
        var name = await NewOperatorAsync();
        var c = app.Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await DashboardTestData.SignIn(c, name, Pass)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await c.GetAsync("/admin")).StatusCode);

        var owner = await app.SignedIn(OperatorRoles.Owner);
        var id = (await OperatorAsync(name)).Id;
        var r = await DashboardTestData.PostForm(owner, $"/admin/settings/operators/{id}/disable", tokenPage: "/admin/settings");
        Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);

        var open = await c.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Redirect, open.StatusCode);
        Assert.Contains("/admin/signin", open.Headers.Location!.ToString());
        var again = await DashboardTestData.SignIn(app.Browser(), name, Pass);
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Contains("disabled by the owner", await again.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Signing_out_ends_the_session_and_is_audited()
    {
        var name = await NewOperatorAsync();
        var c = app.Browser();
        await DashboardTestData.SignIn(c, name, Pass);
        var r = await DashboardTestData.PostForm(c, "/admin/signout");
        Assert.Equal("/admin/signin", r.Headers.Location!.ToString());
        Assert.Equal(HttpStatusCode.Redirect, (await c.GetAsync("/admin")).StatusCode);
        var actions = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Actor == name).Select(a => a.Action).ToListAsync());
        Assert.Equal(["operator.signin", "operator.signout"], actions.Order().ToArray());
    }

    [Theory]
    [InlineData("https://evil.example/admin")]
    [InlineData("//evil.example/admin")]
    [InlineData("/admin\\..\\x")]
    public async Task The_return_address_after_sign_in_is_never_outside_the_dashboard(string returnUrl)
    {
        var name = await NewOperatorAsync();
        var r = await DashboardTestData.SignIn(app.Browser(), name, Pass, returnUrl);
        Assert.Equal("/admin", r.Headers.Location!.ToString());
    }

    [Fact]
    public void Passwords_are_stored_as_salted_PBKDF2_hashes()
    {
        var stored = PasswordHash.Create(Pass);
        Assert.StartsWith("pbkdf2", stored, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Pass, stored);
        Assert.True(PasswordHash.Verify(Pass, stored));
        Assert.False(PasswordHash.Verify(Pass + "x", stored));
        Assert.NotEqual(stored, PasswordHash.Create(Pass)); // salted
        Assert.False(PasswordHash.Verify(Pass, PasswordHash.Create(Pass + "!")));
    }
}
