using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetGen.Generator.Diagnostics;
using NetGen.Generator.Model;
using NetGen.Generator.Attributes;
using NetGen.Generator.Operations;

namespace NetGen.Generator.Parsing;

/// <summary>
/// Reads a [Network] type into a <see cref="NetworkSpec"/>. The only place in the generator that
/// touches symbols and syntax; everything after it works on plain values.
/// </summary>
internal static class NetworkParser
{
    public const string NetworkAttributeName = OperationReader.Namespace + "." + nameof(NetworkAttribute);
    private const string LayerType = "NetGen.Layer";

    public static ParseResult? Parse(GeneratorAttributeSyntaxContext context, CancellationToken token)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length == 0)
            return null;
        // A [Network] repeated on two partial declarations is the compiler's error (CS0579); read the type once.
        var first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttributeName);
        if (first?.ApplicationSyntaxReference is not { } reference
            || reference.SyntaxTree != context.TargetNode.SyntaxTree
            || !context.TargetNode.Span.Contains(reference.Span))
            return null;

        var diagnostics = new List<DiagnosticInfo>();
        var typeSpec = ReadType(type, diagnostics);
        token.ThrowIfCancellationRequested();
        if (diagnostics.Count > 0)
        {
            // A type that is only not partial (NG0001) still gets its layers implemented, in a partial
            // declaration of its own: the compiler then says CS0260 once, where it would say CS0751
            // and CS9248 for every layer. Their own mistakes wait until the type is partial.
            var implemented = diagnostics.All(d => d.Id == DiagnosticDescriptors.NotPartial.Id)
                ? ReadLayers(type, Rounding.Exact, Init.Gaussian, [], token).Select(l => l.Member + "|" + l.Modifiers).ToEquatableArray()
                : default;
            return new ParseResult(typeSpec, null, implemented, diagnostics.ToEquatableArray());
        }

        var attributeLocation = LocationInfo.From(reference.GetSyntax(token));
        var args = new AttributeArguments(first);
        var round = NetworkRounding(args);
        var layers = ReadLayers(type, round, NetworkInit(args), diagnostics, token);
        var members = layers.Select(l => l.Member + "|" + l.Modifiers).ToEquatableArray();
        var declared = new NetworkAttribute(); // the defaults of what the attribute leaves out
        if (!args.Has(nameof(NetworkAttribute.Layers)))
        {
            // The input has no default; a network that takes another's layers takes its input too.
            args.RequiredInt(nameof(declared.Channels), declared.Channels, "the input's channels: 3 for RGB, 1 for grayscale", example: 3);
            args.RequiredInt(nameof(declared.Height), declared.Height, "the input's height in pixels", example: 224);
            args.RequiredInt(nameof(declared.Width), declared.Width, "the input's width in pixels", example: 224);
        }
        // A network that takes another's layers takes its input and columns too, unless it sets them.
        var source = args.Type(nameof(NetworkAttribute.Layers));
        var sourceArgs = source is null ? null : SourceNetwork(type, source, layers, attributeLocation, diagnostics);
        if (sourceArgs is null)
            source = null;
        else
            layers = ReadTakenLayers(source!, NetworkRounding(sourceArgs), args.Has(nameof(NetworkAttribute.Init)) ? NetworkInit(args) : NetworkInit(sourceArgs), attributeLocation, token);
        int channels = args.Int(nameof(declared.Channels), sourceArgs?.Int(nameof(declared.Channels), declared.Channels) ?? declared.Channels),
            height = args.Int(nameof(declared.Height), sourceArgs?.Int(nameof(declared.Height), declared.Height) ?? declared.Height),
            width = args.Int(nameof(declared.Width), sourceArgs?.Int(nameof(declared.Width), declared.Width) ?? declared.Width),
            columns = args.Int(nameof(declared.Columns), sourceArgs?.Int(nameof(declared.Columns), declared.Columns) ?? declared.Columns),
            classes = args.Int(nameof(declared.Classes), declared.Classes);
        if (ReportUnread(args, type.Name, attributeLocation, diagnostics) && args.Missing is not null)
            return new ParseResult(typeSpec, null, members, diagnostics.ToEquatableArray()); // no input to check the layers against

        var spec = new NetworkSpec(typeSpec, channels, height, width, columns, classes, args.Int(nameof(declared.Round), (int)declared.Round), layers.ToEquatableArray(),
            source?.Name, ReadRegistration(type, source), attributeLocation);
        return new ParseResult(typeSpec, spec, members, diagnostics.ToEquatableArray());
    }

    /// <summary>
    /// The [Network] arguments of the network named by <c>Layers = typeof(...)</c>, or null after
    /// reporting (NG0021) why its layers cannot be taken: it is no network, it takes its own layers
    /// from a third, it is this network, or this network declares layers of its own besides.
    /// </summary>
    private static AttributeArguments? SourceNetwork(INamedTypeSymbol type, INamedTypeSymbol source, List<LayerSpec> ownLayers,
        LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        var attribute = source.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == NetworkAttributeName);
        var sourceArgs = attribute is null ? null : new AttributeArguments(attribute);
        string? problem =
            SymbolEqualityComparer.Default.Equals(source, type) ? $"it names {type.Name} itself"
            : sourceArgs is null ? $"{source.ToDisplayString()} is not a [Network] class"
            : sourceArgs.Type(nameof(NetworkAttribute.Layers)) is { } further ? $"{source.Name} takes its own layers from {further.Name}; name {further.Name} instead"
            : ownLayers.Count > 0 ? $"{type.Name} also declares layer {ownLayers[0].Member}; a network takes another's layers or declares its own, not both"
            : null;
        if (problem is null)
            return sourceArgs;
        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersFromInvalid, location, type.Name, source.Name, problem));
        return null;
    }


    /// <summary>
    /// The network-wide rounding its layers default to; a value that is no <c>Rounding</c> leaves
    /// them exact, and the model reports it once, at the network (NG0011).
    /// </summary>
    private static Rounding NetworkRounding(AttributeArguments args) =>
        args.Int(nameof(NetworkAttribute.Round), (int)Rounding.Exact) is var round && round is >= (int)Rounding.Exact and <= (int)Rounding.Ceil ? (Rounding)round : Rounding.Exact;

    /// <summary>
    /// The network-wide initialisation its learnable layers default to. A value that is no
    /// <c>Init</c> is passed on as it is: each layer that takes it reports it (NG0011).
    /// </summary>
    private static Init NetworkInit(AttributeArguments args) => (Init)args.Int(nameof(NetworkAttribute.Init), (int)Init.Gaussian);
    private const string TrainingDefaultsName = OperationReader.Namespace + "." + nameof(TrainingDefaultsAttribute);

    /// <summary>
    /// Whether the network can register itself in the catalog, and its [TrainingDefaults] (else those
    /// of the network it takes its layers from), as the assignments the registration repeats.
    /// </summary>
    private static RegistrationSpec ReadRegistration(INamedTypeSymbol type, INamedTypeSymbol? layersFrom)
    {
        // An abstract network cannot be created, so there is nothing to register.
        bool visible = !type.IsAbstract;
        for (var t = type; t is not null; t = t.ContainingType)
            visible &= t.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal;
        var attribute = DefaultsOf(type) ?? (layersFrom is null ? null : DefaultsOf(layersFrom));
        var assignments = attribute?.NamedArguments.Where(a => a.Value.Kind != TypedConstantKind.Error).Select(a => $"{a.Key} = {Literal(a.Value)}");
        return new RegistrationSpec(visible, attribute is not null, (assignments ?? []).ToEquatableArray());

        // ToCSharpString writes a float without its suffix, which would not compile as a float.
        // NaN and the infinities have no literal; the range checks of TrainingOptions refuse them at run time.
        // An enum value (Optimizer = Optimizer.AdamW) is written by its full name from global::, which
        // resolves in any namespace the registration is emitted into; one with no member name as a cast.
        static string Literal(TypedConstant value) => value.Kind == TypedConstantKind.Enum && value.Type is { } type ? EnumLiteral(type, value.Value) : value.Value switch
        {
            float f when float.IsNaN(f) || float.IsInfinity(f) => float.IsNaN(f) ? "float.NaN" : f > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity",
            float f => Format.FloatLiteral(f),
            double d when double.IsNaN(d) || double.IsInfinity(d) => double.IsNaN(d) ? "double.NaN" : d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "d",
            _ => value.ToCSharpString(),
        };

        static string EnumLiteral(ITypeSymbol type, object? number)
        {
            string name = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            var member = type.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, number));
            return member is not null ? $"{name}.{member.Name}"
                : $"({name})({System.Convert.ToString(number, System.Globalization.CultureInfo.InvariantCulture)})";
        }

        static AttributeData? DefaultsOf(INamedTypeSymbol t) => t.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TrainingDefaultsName);
    }

    private static TypeSpec ReadType(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
    {
        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        var containing = new List<string>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, "partial " + Keyword(outer) + " " + outer.Name);
            if (!IsPartial(outer))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, IdentifierLocation(outer), outer.Name));
            if (outer.IsGenericType)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, IdentifierLocation(type), type.Name,
                    $"it is nested in generic type '{outer.Name}'; generated kernels fix every size, so nest it in a non-generic type or none"));
        }

        string? reason =
            type.TypeKind != TypeKind.Class ? $"it is {(type.TypeKind == TypeKind.Struct ? "a struct" : "an " + type.TypeKind.ToString().ToLowerInvariant())}; declare it as a class"
            : type.IsRecord ? "it is a record; declare it as a class"
            : type.IsStatic ? "it is static; a network is an object that holds parameters on an accelerator"
            : type.IsGenericType ? "it is generic; generated kernels fix every size, so declare a non-generic class"
            : type.BaseType is { SpecialType: not SpecialType.System_Object } baseType ? $"it derives from '{baseType.ToDisplayString()}', and the generated part derives from NetGen.Network"
            : null;
        if (reason is not null)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedType, IdentifierLocation(type), type.Name, reason));
        else if (!IsPartial(type))
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, IdentifierLocation(type), type.Name));
        return new TypeSpec(ns, type.Name, containing.ToEquatableArray());
    }

    private static List<LayerSpec> ReadLayers(INamedTypeSymbol type, Rounding round, Init init, List<DiagnosticInfo> diagnostics, CancellationToken token)
    {
        var layers = new List<LayerSpec>();
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        string? firstFile = null;
        foreach (var member in type.GetMembers())
        {
            token.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared)
                continue;
            var attributes = member.GetAttributes().Where(a => OperationReader.IsOperation(a.AttributeClass)).ToList();
            bool isLayerProperty = member is IPropertySymbol { Type: var t } && t.ToDisplayString() == LayerType;
            if (attributes.Count == 0 && !isLayerProperty)
                continue;
            var memberLocation = IdentifierLocation(member);
            if (!names.Add(member.Name))
            {
                // A member declared twice is the compiler's error (CS0102); reading it once keeps
                // the generated part from implementing it twice.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, memberLocation, member.Name, member.Name, member.Name.ToLowerInvariant()));
                continue;
            }
            var property = member as IPropertySymbol;
            string? wrongForm = DescribeWrongForm(member);
            if (wrongForm is not null || property is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidMember, memberLocation, member.Name, wrongForm ?? "not a property"));
                continue;
            }

            var syntax = property.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(token) as PropertyDeclarationSyntax;
            string file = syntax?.SyntaxTree.FilePath ?? "";
            firstFile ??= file;
            if (file != firstFile)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayersInSeveralFiles, memberLocation, member.Name, type.Name, layers[0].Member));

            var ops = new List<Operation>();
            bool incomplete = false;
            foreach (var attribute in attributes)
            {
                var location = LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(token)) ?? memberLocation;
                var args = new AttributeArguments(attribute);
                var op = OperationReader.Read(attribute, args, location, round, init);
                bool unread = ReportUnread(args, member.Name, location, diagnostics);
                if (!unread && op is not null)
                    ops.Add(op);
                else if (!unread)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownOperation, location, member.Name,
                        attribute.AttributeClass!.ToDisplayString()));
                incomplete |= unread || op is null;
            }
            string accessibility = syntax is null ? "public"
                : string.Join(" ", syntax.Modifiers.Where(m => SyntaxFacts.IsAccessibilityModifier(m.Kind())).Select(m => m.Text));
            layers.Add(new LayerSpec(member.Name, PartialModifiers(accessibility), ops.ToEquatableArray(), memberLocation, incomplete));
        }
        return layers;
    }

    /// <summary>
    /// Reports what could not be read from an attribute of <paramref name="who"/> (a layer or the
    /// network): an argument it cannot read or a name it does not have (NG0014, with what the
    /// attribute takes), and a required setting left out (NG0024). Returns whether there was any.
    /// </summary>
    private static bool ReportUnread(AttributeArguments args, string who, LocationInfo? location, List<DiagnosticInfo> diagnostics)
    {
        if (args.Problem is { } problem)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnreadableArgument, location, who, args.AttributeName, problem, args.Takes));
        if (args.Missing is { } missing)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredSetting, location, who, args.AttributeName, missing.What,
                missing.Example ?? OperationCatalog.Example(args.AttributeName + "Attribute") ?? $"{args.AttributeName}(...)"));
        return args.Problem is not null || args.Missing is not null;
    }

    /// <summary>
    /// Another network's layers (its properties of type Layer that carry operations, in order),
    /// taken by the network being read. Their form and files are the other network's own business,
    /// checked when it is built; it may come from source or from a referenced assembly, where its
    /// properties no longer look partial. Every diagnostic about them points at
    /// <paramref name="location"/>, the taking network's attribute, and their implementations are
    /// plain public properties.
    /// </summary>
    private static List<LayerSpec> ReadTakenLayers(INamedTypeSymbol type, Rounding round, Init init, LocationInfo? location, CancellationToken token)
    {
        var layers = new List<LayerSpec>();
        foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
        {
            token.ThrowIfCancellationRequested();
            if (property.IsImplicitlyDeclared || property.IsStatic || property.Type.ToDisplayString() != LayerType)
                continue;
            var ops = new List<Operation>();
            foreach (var attribute in property.GetAttributes().Where(a => OperationReader.IsOperation(a.AttributeClass)))
                if (OperationReader.Read(attribute, new AttributeArguments(attribute), location, round, init) is { } op)
                    ops.Add(op);
            if (ops.Count > 0)
                layers.Add(new LayerSpec(property.Name, "public", ops.ToEquatableArray(), location));
        }
        return layers;
    }

    /// <summary>Why a member that carries operations cannot be a layer, or null when it has the right form.</summary>
    private static string? DescribeWrongForm(ISymbol member) => member switch
    {
        IFieldSymbol => "a field",
        IMethodSymbol => "a method",
        IEventSymbol => "an event",
        IPropertySymbol { IsIndexer: true } => "an indexer",
        IPropertySymbol p when p.Type.ToDisplayString() != LayerType => $"a property of type '{p.Type.ToDisplayString()}'",
        IPropertySymbol { IsStatic: true } => "static",
        IPropertySymbol { IsVirtual: true } or IPropertySymbol { IsOverride: true } or IPropertySymbol { IsAbstract: true } or IPropertySymbol { IsSealed: true } => "virtual, abstract, override or sealed",
        IPropertySymbol { IsExtern: true } => "extern",
        IPropertySymbol { IsRequired: true } => "required",
        IPropertySymbol { SetMethod: not null } => "settable",
        IPropertySymbol { IsPartialDefinition: false, PartialDefinitionPart: null } => "not partial",
        IPropertySymbol { PartialImplementationPart: not null } => "already implemented",
        IPropertySymbol => null,
        _ => "not a property",
    };

    private static string PartialModifiers(string accessibility) => accessibility.Length == 0 ? "partial" : accessibility + " partial";

    private static bool IsPartial(INamedTypeSymbol type) =>
        type.DeclaringSyntaxReferences.All(r => r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static LocationInfo? IdentifierLocation(ISymbol symbol) =>
        symbol.Locations.FirstOrDefault(l => l.IsInSource) is { } location ? LocationInfo.From(location) : null;
}
