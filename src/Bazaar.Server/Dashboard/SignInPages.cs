using Bazaar.Server.Hosting;
using Bazaar.Server.Admin;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using static Bazaar.Server.Dashboard.Html;

namespace Bazaar.Server.Dashboard;

internal static class SignInPages
{
    public static IResult Form(HttpContext http, string? returnUrl = null) => Render(http, returnUrl, null, 200);

    private static IResult Render(HttpContext http, string? returnUrl, string? error, int status) =>
        Page(http, "Sign in", "", $"""
            <form method="post" action="/admin/signin" class="card narrow">
              {Csrf(http)}
              <input type="hidden" name="returnUrl" value="{E(SafeReturn(returnUrl))}">
              {(error is null ? "" : $"<div class=\"flash flash-error\" role=\"alert\">{E(error)}</div>")}
              <label>Username <input name="username" autocomplete="username" required autofocus></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
              <button class="btn btn-primary" type="submit">Sign in</button>
            </form>
            """, status);

    public static async Task<IResult> Submit(HttpContext http, OperatorSignIn signIn, AuditLog audit, IOptions<DashboardOptions> options, CancellationToken ct)
    {
        var form = await http.Request.ReadFormOrBadRequestAsync(ct);
        var username = form["username"].ToString();
        var password = form["password"].ToString();
        var returnUrl = form["returnUrl"].ToString();
        if (username.Length is 0 or > 64 || password.Length is 0 or > 256)
            return Render(http, returnUrl, "Enter your username and password.", 400);
        var (outcome, op) = await signIn.CheckAsync(username, password, ct);
        switch (outcome)
        {
            case SignInOutcome.SignedIn:
                var principal = DashboardAuth.Principal(op!);
                await http.SignInAsync(DashboardAuth.Scheme, principal);
                http.User = principal;
                await audit.WriteAsync("operator.signin", $"operator:{op!.Id}", null, null, ct);
                return Results.Redirect(SafeReturn(returnUrl));
            case SignInOutcome.LockedOut:
                return Render(http, returnUrl,
                    $"Too many wrong passwords: this account is locked for {options.Value.LockoutMinutes} minutes. Try again later or ask the owner.", 429);
            case SignInOutcome.Disabled:
                return Render(http, returnUrl, "This account has been disabled by the owner.", 403);
            default:
                return Render(http, returnUrl, "The username or password is wrong.", 401);
        }
    }

    public static async Task<IResult> SignOut(HttpContext http, AuditLog audit, CancellationToken ct)
    {
        await audit.WriteAsync("operator.signout", $"operator:{http.User.FindFirst("operator_id")?.Value}", null, null, ct);
        await http.SignOutAsync(DashboardAuth.Scheme);
        return Results.Redirect("/admin/signin");
    }

    /// <summary>Only a local dashboard path: never an open redirect.</summary>
    private static string SafeReturn(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith("/admin", StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) &&
        !url.Contains('\\') && !url.StartsWith("/admin/signin", StringComparison.Ordinal) ? url : "/admin";
}
