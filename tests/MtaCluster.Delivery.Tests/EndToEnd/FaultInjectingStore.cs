using System.Reflection;
using System.Runtime.ExceptionServices;
using MtaCluster.Storage;

namespace MtaCluster.Delivery.Tests.EndToEnd;

/// <summary>
/// A spool that fails on cue: every call goes to the real store unless <see cref="Fault"/> returns an
/// exception for it, which is then thrown instead. A proxy rather than a class implementing
/// <see cref="IQueueStore"/>, so it keeps working as the interface grows.
/// </summary>
internal class FaultInjectingStore : DispatchProxy
{
    private IQueueStore _inner = null!;

    /// <summary>Given the method's name and arguments, the exception to throw, or null to pass the call on.</summary>
    public Func<string, object?[], Exception?> Fault { get; set; } = static (_, _) => null;

    public static (IQueueStore Store, FaultInjectingStore Faults) Wrap(IQueueStore inner)
    {
        var proxy = Create<IQueueStore, FaultInjectingStore>();
        var faults = (FaultInjectingStore)(object)proxy;
        faults._inner = inner;
        return (proxy, faults);
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (Fault(method.Name, args ?? []) is { } fault) throw fault;
        try
        {
            return method.Invoke(_inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }
}
