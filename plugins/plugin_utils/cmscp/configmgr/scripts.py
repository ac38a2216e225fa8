"""The constant PowerShell scripts of the library: the only script text it ever sends.

Why scripts at all: over PowerShell remoting an object returned to the client comes back as a `Deserialized.*`
property bag, and PowerShell does not turn it back into the live type when it is sent back as a parameter value.
`New-/Set-CMSiteSystemServer -ProxyAccessAccount` is typed `IResultObject`, so the Get-CMAccount object must be
obtained and passed on the remote side, which needs a variable between two cmdlets of one invocation: a script.

Rules (docs/architecture.md, transport): each script is a module constant with a param block; every input is a
parameter value (pypsrp add_script(TEXT) + add_parameter), never text formatted into the script; the pipeline layer
refuses any script text that is not registered here (pipeline.register_script). Inside, cmdlets stop on the first
error ($ErrorActionPreference = 'Stop'), like the -ErrorAction Stop every structured command gets. The lab
(tests/lab/ps/scripts.py) runs exactly these texts, binding each inner cmdlet like a structured call; a unit test
keeps its copy equal to this one.
"""
from __future__ import annotations

from ..pipeline import ScriptSpec, register_script

# What the scripts throw when Get-CMAccount finds nothing (the caller's earlier read gives the friendlier message).
ACCOUNT_NOT_FOUND = "Get-CMAccount found no account with the proxy user name."

# Written out in full (no formatting, not even of constants): what is here is byte for byte what is sent.
# New-CMSiteSystemServer @Parameters -ProxyAccessAccount <the Get-CMAccount object of $ProxyUserName>.
NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [hashtable] $Parameters,
    [Parameter(Mandatory = $true)] [string] $ProxyUserName
)
$ErrorActionPreference = 'Stop'
$account = Get-CMAccount -UserName $ProxyUserName
if ($null -eq $account) { throw 'Get-CMAccount found no account with the proxy user name.' }
New-CMSiteSystemServer @Parameters -ProxyAccessAccount $account
"""

# Set-CMSiteSystemServer @Parameters -ProxyAccessAccount <the Get-CMAccount object of $ProxyUserName>.
SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [hashtable] $Parameters,
    [Parameter(Mandatory = $true)] [string] $ProxyUserName
)
$ErrorActionPreference = 'Stop'
$account = Get-CMAccount -UserName $ProxyUserName
if ($null -eq $account) { throw 'Get-CMAccount found no account with the proxy user name.' }
Set-CMSiteSystemServer @Parameters -ProxyAccessAccount $account
"""

NEW_WITH_PROXY_ACCOUNT = register_script(ScriptSpec(
    "New-CMSiteSystemServerWithProxyAccount", NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT,
    parameters=("Parameters", "ProxyUserName"), mandatory=("Parameters", "ProxyUserName"), splats=("Parameters",),
    cmdlets=("Get-CMAccount", "New-CMSiteSystemServer")))
SET_WITH_PROXY_ACCOUNT = register_script(ScriptSpec(
    "Set-CMSiteSystemServerWithProxyAccount", SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT,
    parameters=("Parameters", "ProxyUserName"), mandatory=("Parameters", "ProxyUserName"), splats=("Parameters",),
    cmdlets=("Get-CMAccount", "Set-CMSiteSystemServer")))

# verb -> script; the verb is chosen by the library (server exists or not), never taken from the user.
SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = {"New-CMSiteSystemServer": NEW_WITH_PROXY_ACCOUNT,
                                         "Set-CMSiteSystemServer": SET_WITH_PROXY_ACCOUNT}
SCRIPTS = (NEW_WITH_PROXY_ACCOUNT, SET_WITH_PROXY_ACCOUNT)
