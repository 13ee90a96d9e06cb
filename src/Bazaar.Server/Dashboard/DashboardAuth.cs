using System.Security.Claims;
using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Dashboard;

public sealed class DashboardOptions
{
    /// <summary>Wrong passwords in a row before an account is locked.</summary>
    public int LockoutFailures { get; set; } = 5;
    public int LockoutMinutes { get; set; } = 15;
    public int SessionHours { get; set; } = 8;
    /// <summary>How often a process re-reads the settings changed in the dashboard (by any process); 0 turns it off.</summary>
    public int SettingsRefreshSeconds { get; set; } = 30;
}

/// <summary>Who may do what in the dashboard: one policy per role set, checked on every page and action.</summary>
public static class DashboardAuth
{
    public const string Scheme = "Dashboard";
    /// <summary>Any signed-in operator: every page to read, plus order and deposit handling.</summary>
    public const string Any = "dashboard.any";
    /// <summary>Owner and manager: everything but settings and balance adjustments.</summary>
    public const string Manage = "dashboard.manage";
    /// <summary>Owner only: settings, operators, API keys, balance adjustments.</summary>
    public const string Owner = "dashboard.owner";

    public static readonly IReadOnlyDictionary<string, string[]> Roles = new Dictionary<string, string[]>
    {
        [Any] = OperatorRoles.All,
        [Manage] = [OperatorRoles.Owner, OperatorRoles.Manager],
        [Owner] = [OperatorRoles.Owner],
    };

    public static bool Allows(ClaimsPrincipal user, string policy) => Roles[policy].Any(user.IsInRole);

    public static string Actor(ClaimsPrincipal user) => user.Identity?.Name ?? "unknown";

    internal static void Add(IServiceCollection services, IConfiguration config)
    {
        services.Configure<DashboardOptions>(config.GetSection("Dashboard"));
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "bz_af";
            o.Cookie.Path = "/admin";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__RequestVerificationToken";
            o.HeaderName = "X-CSRF-TOKEN";
        });
        var hours = config.GetValue("Dashboard:SessionHours", 8);
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "bz_admin";
            o.Cookie.Path = "/admin";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/admin/signin";
            o.LogoutPath = "/admin/signout";
            o.ExpireTimeSpan = TimeSpan.FromHours(hours);
            o.SlidingExpiration = true;
            o.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                OnRedirectToAccessDenied = async ctx =>
                {
                    ctx.Response.StatusCode = 403;
                    await Html.Page(ctx.HttpContext, "Not allowed", "",
                        "<p>Your role does not include this page or action. Ask the owner if you need it.</p><p><a href=\"/admin\">Back to the overview</a></p>", 403)
                        .ExecuteAsync(ctx.HttpContext);
                },
            };
        });
        var auth = services.AddAuthorizationBuilder();
        foreach (var (policy, roles) in Roles)
            auth.AddPolicy(policy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole(roles));
        services.AddScoped<OperatorSignIn>();
    }

    /// <summary>A session ends as soon as its operator is disabled, deleted or given another role.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext ctx)
    {
        var id = long.TryParse(ctx.Principal?.FindFirstValue("operator_id"), out var v) ? v : 0;
        var role = ctx.Principal?.FindFirstValue(ClaimTypes.Role);
        var db = ctx.HttpContext.RequestServices.GetRequiredService<BazaarDb>();
        var op = await db.Operators.AsNoTracking().Where(o => o.Id == id)
            .Select(o => new { o.Role, o.DisabledAt }).FirstOrDefaultAsync(ctx.HttpContext.RequestAborted);
        if (op is null || op.DisabledAt is not null || op.Role != role)
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(Scheme);
        }
    }

    public static ClaimsPrincipal Principal(Operator op) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.Name, op.Username),
        new Claim(ClaimTypes.Role, op.Role),
        new Claim("operator_id", op.Id.ToString()),
    ], Scheme, ClaimTypes.Name, ClaimTypes.Role));
}

public enum SignInOutcome { SignedIn, Invalid, LockedOut, Disabled }

/// <summary>Checks an operator's password with lock-out after repeated failures.</summary>
public sealed class OperatorSignIn(BazaarDb db, TimeProvider clock, IOptions<DashboardOptions> options)
{
    // Verified when the username is unknown, so a wrong username costs as long as a wrong password.
    private static readonly string DummyHash = PasswordHash.Create(Guid.NewGuid().ToString());

    public async Task<(SignInOutcome Outcome, Operator? Operator)> CheckAsync(string username, string password, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var name = username.Trim();
        var op = await db.Operators.AsNoTracking().FirstOrDefaultAsync(o => o.Username == name, ct);
        if (op is null)
        {
            PasswordHash.Verify(password, DummyHash);
            return (SignInOutcome.Invalid, null);
        }
        if (op.LockedUntil is { } until && until > now) return (SignInOutcome.LockedOut, op);
        if (!PasswordHash.Verify(password, op.PasswordHash))
        {
            var o = options.Value;
            // Counted atomically, so parallel guesses cannot slip past the limit.
            await db.Operators.Where(x => x.Id == op.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FailedSignIns, x => x.FailedSignIns + 1), ct);
            var locked = await db.Operators.Where(x => x.Id == op.Id && x.FailedSignIns >= o.LockoutFailures)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.LockedUntil, now.AddMinutes(o.LockoutMinutes)).SetProperty(x => x.FailedSignIns, 0), ct);
            return (locked > 0 ? SignInOutcome.LockedOut : SignInOutcome.Invalid, op);
        }
        if (op.DisabledAt is not null) return (SignInOutcome.Disabled, op);
        await db.Operators.Where(x => x.Id == op.Id).ExecuteUpdateAsync(s => s
            .SetProperty(x => x.FailedSignIns, 0).SetProperty(x => x.LockedUntil, (DateTime?)null).SetProperty(x => x.LastLoginAt, now), ct);
        return (SignInOutcome.SignedIn, op);
    }
}
