using System;
using System.Collections.Generic;
using System.Globalization;
using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Parsing;

/// <summary>
/// The constructor and named arguments of one attribute application, read as numbers. A value the
/// compiler could not bind (a wrong type, a non-constant) is recorded, not thrown.
/// </summary>
internal sealed class AttributeArguments
{
    private readonly AttributeData attribute;
    private readonly Dictionary<string, TypedConstant> named = new();

    public AttributeArguments(AttributeData attribute)
    {
        this.attribute = attribute;
        foreach (var pair in attribute.NamedArguments)
            named[pair.Key] = pair.Value;
        if (attribute.AttributeConstructor is null)
            Problem = "its arguments (they match none of its constructors)";
    }

    /// <summary>The first argument that could not be read, as "Name (reason)", or null.</summary>
    public string? Problem { get; private set; }

    public int Int(int position, string name, int fallback) => Read(position, name, fallback, v => Convert.ToInt32(v, CultureInfo.InvariantCulture));

    public int Int(string name, int fallback) => Int(-1, name, fallback);

    public float Float(int position, string name, float fallback) => Read(position, name, fallback, v => Convert.ToSingle(v, CultureInfo.InvariantCulture));

    public float Float(string name, float fallback) => Float(-1, name, fallback);

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
            return Fail(name, "it is not a constant number", fallback);
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
        Problem ??= $"{name} ({reason})";
        return fallback;
    }
}
