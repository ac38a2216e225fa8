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

NEW_WITH_PROXY_ACCOUNT = register_script(
    ScriptSpec(
        "New-CMSiteSystemServerWithProxyAccount",
        NEW_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT,
        parameters=("Parameters", "ProxyUserName"),
        mandatory=("Parameters", "ProxyUserName"),
        splats=("Parameters",),
        cmdlets=("Get-CMAccount", "New-CMSiteSystemServer"),
    )
)
SET_WITH_PROXY_ACCOUNT = register_script(
    ScriptSpec(
        "Set-CMSiteSystemServerWithProxyAccount",
        SET_SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT,
        parameters=("Parameters", "ProxyUserName"),
        mandatory=("Parameters", "ProxyUserName"),
        splats=("Parameters",),
        cmdlets=("Get-CMAccount", "Set-CMSiteSystemServer"),
    )
)

# verb -> script; the verb is chosen by the library (server exists or not), never taken from the user.
SITE_SYSTEM_SERVER_WITH_PROXY_ACCOUNT = {
    "New-CMSiteSystemServer": NEW_WITH_PROXY_ACCOUNT,
    "Set-CMSiteSystemServer": SET_WITH_PROXY_ACCOUNT,
}

# The provider's reads in one round trip: discovery (only without a site code), the bootstrap (only on a runspace that
# has none yet), then each requested read after a constant tag. Why one script and not one statement per read: a
# structured statement costs about 1.4 KB on the wire whatever it reads, the marker between two statements as much
# again, and full ConfigMgr objects are large; the script sends each read as one line and returns only the properties
# the library parses (`$Properties`, per read; '*' for the raw objects). Tags ('cmscp:<read>') are constant strings:
# every read returns objects (Select-Object), so a string that starts with 'cmscp:' is always a tag, never data.
# `$HostNames` are the names the library knows the connected host by: when a provider row names this host, the site
# is read here at once; otherwise the script stops after the rows and the library routes to the provider it picks.
# New-PSDrive -Scope Global: a drive made inside a script is the script's own, removed when it ends, without it.
READ_SITE_STATE = """[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string[]] $Read,
    [Parameter(Mandatory = $true)] [hashtable] $Properties,
    [Parameter(Mandatory = $true)] [string] $Module,
    [Parameter(Mandatory = $false)] [string] $SiteCode,
    [Parameter(Mandatory = $false)] [string] $Provider,
    [Parameter(Mandatory = $false)] [string[]] $HostNames,
    [Parameter(Mandatory = $false)] [switch] $Bootstrapped
)
$ErrorActionPreference = 'Stop'
if (-not $SiteCode) {
    'cmscp:location'
    $location = Get-CimInstance -Namespace 'root\\SMS' -ClassName 'SMS_ProviderLocation' | Select-Object -Property $Properties.location
    $location
    $local = $location | Where-Object -Property 'Machine' -Value $HostNames -In | Select-Object -First 1
    if (-not $local) { return }
    $SiteCode = $local.SiteCode
    $Provider = $local.Machine
}
if (-not $Bootstrapped) {
    'cmscp:ui'
    Get-Item -Path 'Env:SMS_ADMIN_UI_PATH' -ErrorAction 'SilentlyContinue' | Select-Object -Property 'Value'
    'cmscp:module'
    Import-Module -Name $Module -PassThru | Select-Object -Property 'Name', 'Version'
    $drive = New-PSDrive -Name $SiteCode -PSProvider 'CMSite' -Root $Provider -Scope 'Global' -ErrorAction 'SilentlyContinue'
    $path = $SiteCode + ':'
    Set-Location -Path $path
}
'cmscp:site'
$SiteCode
$Provider
if ($Read -contains 'sites') {
    'cmscp:sites'
    Get-CMSite | Select-Object -Property $Properties.sites
}
if ($Read -contains 'scp') {
    'cmscp:scp'
    Get-CMServiceConnectionPoint -AllSite | Select-Object -Property $Properties.scp
}
if ($Read -contains 'site_systems') {
    'cmscp:site_systems'
    Get-CMSiteSystemServer -AllSite | Select-Object -Property $Properties.site_systems
}
if ($Read -contains 'usage') {
    'cmscp:usage'
    Get-CMHierarchySetting | Select-Object -Property $Properties.usage
}
if ($Read -contains 'aad') {
    'cmscp:aad'
    Get-CMAADApplication | Select-Object -Property $Properties.aad
}
if ($Read -contains 'updates') {
    'cmscp:updates'
    Get-CMSiteUpdate -Fast | Select-Object -Property $Properties.updates
}
if ($Read -contains 'roles') {
    'cmscp:roles'
    Get-CMSiteRole -AllSite | Select-Object -Property $Properties.roles
}
if ($Read -contains 'site_servers') {
    'cmscp:site_servers'
    Get-CMSiteRole -AllSite -RoleName 'SMS Site Server' | Select-Object -Property $Properties.site_servers
}
if ($Read -contains 'records') {
    'cmscp:records'
    Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\configmgr.scp' -ErrorAction 'SilentlyContinue' | Select-Object -Property $Properties.records
}
if ($Read -contains 'components') {
    'cmscp:components'
    $namespace = 'root\\SMS\\site_' + $SiteCode
    $filter = 'TallyInterval = ''0001128000100008'' AND ComponentName = ''SMS_DMP_DOWNLOADER'''
    Get-CimInstance -Namespace $namespace -ClassName 'SMS_ComponentSummarizer' -Filter $filter | Select-Object -Property $Properties.components
}
"""

READ_STATE = register_script(
    ScriptSpec(
        "Read-CMSiteState",
        READ_SITE_STATE,
        parameters=("Read", "Properties", "Module", "SiteCode", "Provider", "HostNames", "Bootstrapped"),
        mandatory=("Read", "Properties", "Module"),
        cmdlets=(
            "Get-CimInstance",
            "Select-Object",
            "Where-Object",
            "Get-Item",
            "Import-Module",
            "New-PSDrive",
            "Set-Location",
            "Get-CMSite",
            "Get-CMServiceConnectionPoint",
            "Get-CMSiteSystemServer",
            "Get-CMHierarchySetting",
            "Get-CMAADApplication",
            "Get-CMSiteUpdate",
            "Get-CMSiteRole",
            "Get-ItemProperty",
        ),
    )
)
SCRIPTS = (NEW_WITH_PROXY_ACCOUNT, SET_WITH_PROXY_ACCOUNT, READ_STATE)
