using Bazaar.Server;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Hosting;

// `verify-draw <file-or-url>` recomputes a published draw's winners without starting the server.
if (args is ["verify-draw", .. var rest]) return await VerifyDrawCommand.RunAsync(rest, Console.Out);

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Services.AddBazaar(builder.Configuration, builder.Environment);

    var app = builder.Build();
    // The settings checks (ValidateOnStart) run here rather than inside Run, which would log them with a stack trace first.
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
    app.UseBazaar();
    app.Run();
    return 0;
}
catch (Exception e) when (SettingsChecks.Describe(e) is { } problems)
{
    // A bad setting: one line each, naming the key, and exit 2 (no stack trace).
    foreach (var p in problems) Console.Error.WriteLine("bazaar: cannot start: " + p);
    return 2;
}

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
