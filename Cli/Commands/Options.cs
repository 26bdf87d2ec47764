using System;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Linq;

namespace NetGen.CommandLine;

/// <summary>
/// The kinds of option the verbs take, each with the one-line message a wrong value gets
/// (<c>--epochs takes a positive whole number, not 'x'</c>) instead of the parser's type names.
/// An option made without a default is nullable: absent means "the network's declared default",
/// which <c>train</c> reports as the setting's source.
/// </summary>
internal static class Options
{
    private delegate bool TryParse<T>(string text, out T value);

    public static Option<int> PositiveInt(string name, string description, int fallback, string helpName = "N") =>
        WithDefault(Parsed<int>(name, description, helpName, "a positive whole number", TryPositiveInt), fallback);

    public static Option<int?> PositiveInt(string name, string description, string helpName = "N") =>
        Parsed<int?>(name, description, helpName, "a positive whole number", Nullable<int>(TryPositiveInt));

    public static Option<int?> Count(string name, string description, string helpName = "N") =>
        Parsed<int?>(name, description, helpName, "a whole number of zero or more", Nullable<int>(TryCount));

    public static Option<ulong> Seed(string description, ulong fallback) =>
        WithDefault(Parsed<ulong>("--seed", description, "S", "a whole number",
            (string text, out ulong value) => ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value)), fallback);

    public static Option<float?> Positive(string name, string description, string helpName) =>
        Parsed<float?>(name, description, helpName, "a positive number", Nullable<float>((string text, out float value) => TryFloat(text, out value) && value > 0));

    public static Option<float?> NonNegative(string name, string description, string helpName) =>
        Parsed<float?>(name, description, helpName, "a number of zero or more", Nullable<float>((string text, out float value) => TryFloat(text, out value) && value >= 0));

    /// <summary><c>on</c> or <c>off</c>, read with <see cref="IsOn"/>. Not a bool option: System.CommandLine's take no value, and would leave the <c>on</c> behind.</summary>
    public static Option<string> Switch(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, HelpName = "on|off" };
        return OneOf(option, ["on", "off"], "on or off");
    }

    /// <summary>One of <paramref name="values"/> (in that case), or null when not given; with <paramref name="suggest"/>, a mistyped value is told the nearest.</summary>
    public static Option<string> Choice(string name, string description, string[] values, bool suggest = false) =>
        OneOf(new Option<string>(name) { Description = description, HelpName = string.Join('|', values) }, values,
            values.Length > 1 ? $"{string.Join(", ", values[..^1])} or {values[^1]}" : values[0], suggest: suggest);

    /// <summary>The value of a <see cref="Switch"/>: null when it was not given.</summary>
    public static bool? IsOn(this ParseResult parsed, Option<string> option) => parsed.GetValue(option) is { } text ? text == "on" : null;

    /// <summary>An option that takes no value.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.Zero };

    public static Option<string> Path(string name, string description, string helpName, bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    public static Option<string> Path(string name, string description, string helpName, string fallback) =>
        new(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => fallback };

    /// <summary><c>--device</c>: one of <see cref="Device.Kinds"/>, in any case.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = "where the network runs: auto (a CUDA GPU, then an OpenCL GPU, else cpu), cpu (the CPU backend), cuda, opencl, " +
                "ilgpu-cpu (ILGPU's CPU accelerator running the GPU kernels: slow, for checking), " +
                "or ilgpu-gpu (the same shaped like an NVIDIA GPU, so the hand-written kernel library runs too)",
            HelpName = "D",
            DefaultValueFactory = _ => "auto",
        };
        return OneOf(option, NetGen.Device.Kinds, string.Join(", ", NetGen.Device.Kinds), ignoreCase: true);
    }

    /// <summary>
    /// Accepts only <paramref name="values"/> (completed in that order), with our one-line message rather than
    /// the library's <c>AcceptOnlyFromAmong</c>, which lists the values one per line.
    /// </summary>
    private static Option<string> OneOf(Option<string> option, string[] values, string takes, bool ignoreCase = false, bool suggest = false)
    {
        option.CompletionSources.Add(values);
        option.Validators.Add(result =>
        {
            string? text = result.Tokens.LastOrDefault()?.Value;
            if (text is not null && !values.Contains(ignoreCase ? text.ToLowerInvariant() : text))
                result.AddError($"{option.Name} takes {takes}, not '{text}'" +
                    (suggest && Suggestions.Nearest(text, values) is { Count: > 0 } near ? $"; did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}?" : ""));
        });
        return option;
    }

    /// <summary><c>--devices</c>: 1, or a network's column count to split it over that many devices.</summary>
    public static Option<int> Devices() =>
        PositiveInt("--devices", "split a network with several columns over that many devices (CPU devices here), as its partition plan says", 1);

    /// <summary>The network, by class name in any case, completed from the networks this program declares.</summary>
    public static Argument<string> Network(bool optional = false)
    {
        var argument = new Argument<string>("network")
        {
            Description = "a [Network] class of this program, by name in any case (" + (NetworkCatalog.Names is { Length: > 0 } names ? names : "none declared") + ")",
            Arity = optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne,
            HelpName = "network",
        };
        argument.CompletionSources.Add(_ => NetworkCatalog.All.Select(e => e.Name));
        return argument;
    }

    private static Option<T> WithDefault<T>(Option<T> option, T fallback)
    {
        option.DefaultValueFactory = _ => fallback;
        return option;
    }

    private static Option<T> Parsed<T>(string name, string description, string helpName, string takes, TryParse<T> parse)
    {
        var option = new Option<T>(name) { Description = description, HelpName = helpName };
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (parse(text, out T value))
                return value;
            result.AddError($"{name} takes {takes}, not '{text}'");
            return default!;
        };
        return option;
    }

    private static TryParse<T?> Nullable<T>(TryParse<T> parse) where T : struct =>
        (string text, out T? value) =>
        {
            bool ok = parse(text, out T parsed);
            value = ok ? parsed : null;
            return ok;
        };

    private static bool TryPositiveInt(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value > 0;

    private static bool TryCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= 0;

    private static bool TryFloat(string text, out float value) =>
        float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);
}

/// <summary>A mistake in the command line found after parsing: its one line and a pointer to the verb's help, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
