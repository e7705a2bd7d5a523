"""The main flows of the API, driven through the client that openapi-python-client generated from
the served document (the package `groupsync_client`, on PYTHONPATH).

A superAdmin (signed in through Access) saves the Okta settings, tests the connection, syncs and
waits for the run, gives the largest group a role, invites one of its members and reads that
member's effective access; a relying app (an API key the superAdmin made) then checks a
permission. Every call goes through the generated functions and models, and the client refuses
any status the document does not give the operation, so an answer the document does not describe
fails here. What was observed is printed as JSON for the Rust test to compare with the fake Okta's
truth.

Input (environment): GROUPSYNC_BASE_URL, GROUPSYNC_ACCESS_TOKEN (a superAdmin's Access token),
OKTA_TENANT_URL, OKTA_API_TOKEN, OKTA_APP_ID.
"""

import json
import os
import sys
import time

import httpx
from groupsync_client import AuthenticatedClient
from groupsync_client.api.default import (
    check_access,
    create_api_key,
    create_invitation,
    get_group,
    get_sync_run,
    get_user_access,
    list_group_members,
    list_groups,
    list_invitations,
    list_sync_runs,
    me,
    set_group_roles,
    start_sync,
    test_okta_connection,
    update_okta_settings,
)
from groupsync_client.models import (
    AccessCheckResponse,
    BuiltInRole,
    CreateApiKeyRequest,
    CreateApiKeyResponse,
    CreateInvitationRequest,
    CreateInvitationResponse,
    GroupDetail,
    GroupPage,
    ListGroupsSort,
    ListInvitationsResponse,
    ListSyncRunsResponse,
    MemberPage,
    MeResponse,
    OktaUserStatus,
    OktaSettingsResponse,
    Permission,
    SetGroupRolesRequest,
    StartSyncRequest,
    StartSyncResponse,
    SyncRun,
    SyncState,
    TestOktaConnectionRequest,
    TestOktaConnectionResponse,
    UpdateOktaSettingsRequest,
    UserAccessResponse,
)
from groupsync_client.types import Response

# How long the run of a small tenant may take on two busy cores.
RUN_PATIENCE_S = 120


def answer(response: Response, expected_type: type):
    """The parsed body of a documented success, or a failure naming what came instead."""
    if not isinstance(response.parsed, expected_type):
        sys.exit(
            f"expected {expected_type.__name__}, got {response.status_code}: "
            f"{response.content.decode(errors='replace')}"
        )
    return response.parsed


def main() -> None:
    env = os.environ
    timeout = httpx.Timeout(60.0)
    admin = AuthenticatedClient(
        base_url=env["GROUPSYNC_BASE_URL"],
        token=env["GROUPSYNC_ACCESS_TOKEN"],
        auth_header_name="Cf-Access-Jwt-Assertion",
        prefix="",
        # Writes from a person's session name the app that sends them.
        headers={"X-Requested-By": "okta-groups-sync"},
        timeout=timeout,
        raise_on_unexpected_status=True,
    )
    observed = {}

    who = answer(me.sync_detailed(client=admin), MeResponse)
    observed["me"] = {"name": who.name, "super_admin": who.super_admin}

    # Settings: the token goes in and never comes back.
    settings = answer(
        update_okta_settings.sync_detailed(
            client=admin,
            body=UpdateOktaSettingsRequest(
                tenant_url=env["OKTA_TENANT_URL"],
                app_id=env["OKTA_APP_ID"],
                api_token=env["OKTA_API_TOKEN"],
                sync_enabled=True,
            ),
        ),
        OktaSettingsResponse,
    )
    observed["settings"] = settings.to_dict()
    connection = answer(
        test_okta_connection.sync_detailed(client=admin, body=TestOktaConnectionRequest()),
        TestOktaConnectionResponse,
    )
    observed["connection"] = connection.to_dict()

    # A sync, waited for by its state.
    started = answer(
        start_sync.sync_detailed(client=admin, body=StartSyncRequest()),
        StartSyncResponse,
    )
    deadline = time.monotonic() + RUN_PATIENCE_S
    run = started.run
    while run.state == SyncState.RUNNING:
        if time.monotonic() > deadline:
            sys.exit(f"run {run.id} still running after {RUN_PATIENCE_S} s")
        time.sleep(0.1)
        run = answer(get_sync_run.sync_detailed(run.id, client=admin), SyncRun)
    runs = answer(list_sync_runs.sync_detailed(client=admin), ListSyncRunsResponse)
    observed["run"] = {
        "state": run.state,
        "groups_added": run.counts.groups_added if run.counts else None,
        "listed": [listed.id for listed in runs.runs],
        "id": run.id,
    }

    # Groups and roles: the largest group grants `editor`.
    page = answer(
        list_groups.sync_detailed(client=admin, per_page=100, sort=ListGroupsSort("-members")),
        GroupPage,
    )
    largest = page.groups[0]
    members = answer(
        list_group_members.sync_detailed(largest.id, client=admin, per_page=200),
        MemberPage,
    )
    group = answer(get_group.sync_detailed(largest.id, client=admin), GroupDetail)
    granted = answer(
        set_group_roles.sync_detailed(
            largest.id,
            client=admin,
            body=SetGroupRolesRequest(roles=[BuiltInRole.EDITOR], version=group.roles_version),
        ),
        GroupDetail,
    )
    observed["groups"] = {
        "total": page.total,
        "listed": {g.id: g.member_count for g in page.groups},
        "largest": largest.id,
        "first_members": [m.id for m in members.members],
        "members_total": members.total,
        "roles_after": granted.roles,
        "roles_version_after": granted.roles_version,
        "roles_version_before": group.roles_version,
    }

    # An invitation for one of its members, and what that member may do.
    invitee = next(m.email for m in members.members if m.email and m.status == OktaUserStatus.ACTIVE)
    invited = answer(
        create_invitation.sync_detailed(client=admin, body=CreateInvitationRequest(email=invitee)),
        CreateInvitationResponse,
    )
    invitations = answer(
        list_invitations.sync_detailed(client=admin),
        ListInvitationsResponse,
    )
    access = answer(
        get_user_access.sync_detailed(invitee, client=admin),
        UserAccessResponse,
    )
    observed["invitation"] = {
        "email": invited.invitation.email,
        "listed": [i.email for i in invitations.invitations],
        "warning": invited.warning,
    }
    observed["access"] = {
        "email": access.email,
        "roles": access.access.roles,
        "permissions": access.access.permissions,
        "granted_by": sorted({r.group_id for r in access.access.reasons if r.role == BuiltInRole.EDITOR}),
    }

    # A relying app asks with an API key of its own.
    made = answer(
        create_api_key.sync_detailed(
            client=admin,
            body=CreateApiKeyRequest(name="client flow", scopes=[Permission.READ_USERS]),
        ),
        CreateApiKeyResponse,
    )
    relying_app = AuthenticatedClient(
        base_url=env["GROUPSYNC_BASE_URL"],
        token=made.secret,
        timeout=timeout,
        raise_on_unexpected_status=True,
    )
    checks = {}
    for permission in ("invite_users", "manage_settings"):
        check = answer(
            check_access.sync_detailed(client=relying_app, email=invitee, permission=permission),
            AccessCheckResponse,
        )
        checks[permission] = {"allowed": check.allowed, "chains": len(check.chains)}
    observed["checks"] = checks

    json.dump(observed, sys.stdout, default=str)


if __name__ == "__main__":
    main()
