using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NetGen.Generator.Parsing;

/// <summary>
/// The constructor and named arguments of one attribute application, read as numbers. A value the
/// compiler could not bind (a wrong type, a non-constant, a name the attribute does not have) is
/// recorded as <see cref="Problem"/>, and a required setting left out as <see cref="Missing"/>;
/// neither is thrown.
/// </summary>
internal sealed class AttributeArguments
{
    private readonly AttributeData attribute;
    private readonly AttributeSyntax? syntax;
    private readonly Dictionary<string, TypedConstant> named = new();

    public AttributeArguments(AttributeData attribute)
    {
        this.attribute = attribute;
        foreach (var pair in attribute.NamedArguments)
            named[pair.Key] = pair.Value;
        syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
        var type = attribute.AttributeClass;
        if (type is null || type.TypeKind == TypeKind.Error)
            return;
        FindUnknownNames(type);
        if (attribute.AttributeConstructor is null)
        {
            var left = LeftOutParameter(type);
            if (left is not null)
                missing = new MissingSetting($"its {left.Name}", null);
            else
                Problem ??= "cannot read its arguments (they match none of its constructors)";
        }
    }

    /// <summary>The attribute as a user writes it: Conv for ConvAttribute.</summary>
    public string AttributeName
    {
        get
        {
            string name = attribute.AttributeClass?.Name ?? "";
            return name.EndsWith("Attribute", StringComparison.Ordinal) && name.Length > "Attribute".Length ? name.Substring(0, name.Length - "Attribute".Length) : name;
        }
    }

    /// <summary>The first argument that could not be read, as a clause ("cannot read Stride (it is not a constant number)"), or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>
    /// The first required setting left out, or null. Left out of the constructor, it has no example
    /// here (the operation gives one); left out by name, its example adds every named one left out.
    /// </summary>
    public MissingSetting? Missing => missing is null ? null
        : missing with { Example = missingArguments.Count == 0 ? null : WithArguments(missingArguments) };

    private MissingSetting? missing;
    private readonly List<string> missingArguments = [];

    /// <summary>
    /// What the attribute takes, from its class: the constructor's parameters, then every settable
    /// property or field (its own first, then its base classes'), each with its type:
    /// "window (int), Stride (int), Pad (int), Round (Rounding)".
    /// </summary>
    public string Takes
    {
        get
        {
            var type = attribute.AttributeClass;
            if (type is null)
                return "";
            var names = new List<string>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var constructor in type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public))
                foreach (var parameter in constructor.Parameters)
                    if (seen.Add(parameter.Name))
                        names.Add($"{parameter.Name} ({TypeName(parameter.Type)})");
            foreach (var (name, settingType) in Settings(type))
                if (seen.Add(name))
                    names.Add($"{name} ({TypeName(settingType)})");
            return names.Count == 0 ? "no arguments" : string.Join(", ", names);
        }
    }

    public int Int(int position, string name, int fallback) => Read(position, name, fallback, v => Convert.ToInt32(v, CultureInfo.InvariantCulture));

    public int Int(string name, int fallback) => Int(-1, name, fallback);

    public float Float(int position, string name, float fallback) => Read(position, name, fallback, v => Convert.ToSingle(v, CultureInfo.InvariantCulture));

    public float Float(string name, float fallback) => Float(-1, name, fallback);

    public string? String(int position, string name, string? fallback) => Read(position, name, fallback, v => v as string);

    public bool Bool(string name, bool fallback) => Read(-1, name, fallback, v => Convert.ToBoolean(v, CultureInfo.InvariantCulture));

    /// <summary>
    /// A named setting that has no usable default: when it is left out, records it as
    /// <see cref="Missing"/> (with what it means and an example value) and returns <paramref name="fallback"/>.
    /// </summary>
    public int RequiredInt(string name, int fallback, string meaning, int example)
    {
        if (!Has(name))
        {
            if (missing is null || missingArguments.Count > 0)
                missingArguments.Add($"{name} = {example}");
            missing ??= new MissingSetting($"{name} = ... ({meaning})", null);
        }
        return Int(name, fallback);
    }

    /// <summary>Whether the source sets the named setting <paramref name="name"/>, even to a value the compiler could not bind.</summary>
    public bool Has(string name) => named.ContainsKey(name) || Written(name);

    /// <summary>A <c>typeof(...)</c> argument, or null when it is absent or is not a named type.</summary>
    public INamedTypeSymbol? Type(string name)
    {
        if (!named.TryGetValue(name, out var constant) || constant.Kind == TypedConstantKind.Error)
            return null;
        if (constant.Kind == TypedConstantKind.Type && constant.Value is INamedTypeSymbol type)
            return type;
        return Fail<INamedTypeSymbol?>(name, "it is not typeof of a class", null);
    }

    private T Read<T>(int position, string name, T fallback, Func<object, T> convert)
    {
        TypedConstant constant;
        if (position >= 0 && position < attribute.ConstructorArguments.Length)
            constant = attribute.ConstructorArguments[position];
        else if (!named.TryGetValue(name, out constant))
            return fallback;

        if (constant.Kind == TypedConstantKind.Error || constant.Kind == TypedConstantKind.Array || constant.Value is null)
            return Fail(name, typeof(T) == typeof(string) ? "it is not a constant string; write nameof(Layer)" : "it is not a constant number", fallback);
        try
        {
            return convert(constant.Value);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            return Fail(name, $"'{constant.Value}' is not a number of the right type", fallback);
        }
    }

    private T Fail<T>(string name, string reason, T fallback)
    {
        Problem ??= $"cannot read {name} ({reason})";
        return fallback;
    }

    /// <summary>A name written in the source that the attribute does not have (Kernel = 2 on MaxPool): the compiler only says CS0246.</summary>
    private void FindUnknownNames(INamedTypeSymbol type)
    {
        if (syntax?.ArgumentList is not { } list)
            return;
        var settings = Settings(type).GroupBy(s => s.Name).ToDictionary(g => g.Key, g => g.First().Type, StringComparer.Ordinal);
        var parameters = new HashSet<string>(type.InstanceConstructors.SelectMany(c => c.Parameters).Select(p => p.Name), StringComparer.Ordinal);
        foreach (var argument in list.Arguments)
        {
            if (argument.NameEquals is { } equals && !settings.ContainsKey(equals.Name.Identifier.ValueText))
                Problem ??= $"has no setting named {equals.Name.Identifier.ValueText}";
            else if (argument.NameEquals is { } bound && attribute.AttributeConstructor is not null
                && settings[bound.Name.Identifier.ValueText] is var declared
                && !(named.TryGetValue(bound.Name.Identifier.ValueText, out var value) && SymbolEqualityComparer.Default.Equals(value.Type, declared)))
                // Stride = 1.5f: the compiler keeps the float (or drops the value) and says CS0266 or CS0029.
                Problem ??= $"cannot read {bound.Name.Identifier.ValueText} (it is not a constant {TypeName(declared)})";
            else if (argument.NameColon is { } colon && !parameters.Contains(colon.Name.Identifier.ValueText))
                Problem ??= $"has no parameter named {colon.Name.Identifier.ValueText}";
        }
    }

    /// <summary>
    /// The first constructor parameter without a default that the source leaves out, when the
    /// arguments match no constructor (the compiler's CS7036), or null when too few is not the reason.
    /// </summary>
    private IParameterSymbol? LeftOutParameter(INamedTypeSymbol type)
    {
        var arguments = syntax?.ArgumentList?.Arguments.ToList() ?? [];
        int positional = arguments.Count(a => a.NameEquals is null && a.NameColon is null);
        var byName = new HashSet<string>(arguments.Where(a => a.NameColon is not null).Select(a => a.NameColon!.Name.Identifier.ValueText), StringComparer.Ordinal);
        IParameterSymbol? left = null;
        foreach (var constructor in type.InstanceConstructors.Where(c => c.DeclaredAccessibility == Accessibility.Public))
        {
            var required = constructor.Parameters.Where(p => !p.HasExplicitDefaultValue && !p.IsParams).ToList();
            if (positional > constructor.Parameters.Length)
                continue;
            var absent = required.Skip(positional).FirstOrDefault(p => !byName.Contains(p.Name));
            if (absent is null)
                return null; // this constructor has all it needs: another argument is what is wrong
            left ??= absent;
        }
        return left;
    }

    /// <summary>Whether the source names <paramref name="name"/>, even with a value the compiler could not bind.</summary>
    private bool Written(string name) =>
        syntax?.ArgumentList?.Arguments.Any(a => a.NameEquals?.Name.Identifier.ValueText == name) == true;

    /// <summary>The attribute as written with more arguments: Conv(16, Pad = 1, Kernel = 3).</summary>
    private string? WithArguments(IEnumerable<string> added)
    {
        if (syntax is null)
            return null;
        var arguments = (syntax.ArgumentList?.Arguments.Select(a => a.ToString()) ?? []).Concat(added);
        return $"{syntax.Name}({string.Join(", ", arguments)})";
    }

    /// <summary>The public settable instance properties and fields of an attribute class and its bases, down to System.Attribute.</summary>
    private static IEnumerable<(string Name, ITypeSymbol Type)> Settings(INamedTypeSymbol type)
    {
        for (var t = type; t is not null && t.ToDisplayString() != "System.Attribute"; t = t.BaseType)
            foreach (var member in t.GetMembers())
            {
                if (member.IsStatic || member.DeclaredAccessibility != Accessibility.Public)
                    continue;
                if (member is IPropertySymbol { IsIndexer: false, SetMethod: { DeclaredAccessibility: Accessibility.Public } } property)
                    yield return (property.Name, property.Type);
                else if (member is IFieldSymbol { IsReadOnly: false, IsConst: false } field)
                    yield return (field.Name, field.Type);
            }
    }

    private static string TypeName(ITypeSymbol type) =>
        type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}

/// <summary>A required setting left out: what it is ("its window", "Kernel = ... (the side of its square kernel)") and, where known, the attribute as written with it added.</summary>
internal sealed record MissingSetting(string What, string? Example);
