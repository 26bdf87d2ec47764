using System;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit;

/// <summary>
/// What an emitter throws when it meets an operation it has no code for: a bug in the generator
/// (an operation added to the model but not to every emitter), never a user's mistake. Thrown
/// rather than skipped, so a new operation cannot compile into a network that silently does
/// nothing, or the wrong thing, where it stands.
/// </summary>
internal static class UnknownOperation
{
    public static InvalidOperationException In(string emitter, OpSpec op) =>
        new($"NetGen generator bug: {emitter} has no code for the {op.Kind} operation ({op.GetType().Name}); " +
            "every operation needs its forward, backward and CPU code before a network may use it.");
}
